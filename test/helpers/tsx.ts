/**
 * Node arguments for a child process that runs a TypeScript file through tsx.
 *
 * tsx (4.23) installs its loader with `module.register()`, which Node 26 deprecates (DEP0205):
 * every such child would print that warning on stderr, and the tests that require a silent
 * stderr (no warning from the library) would fail for the loader's sake. Only that one
 * deprecation code is silenced; any other warning still shows.
 */
export const TSX_ARGS: readonly string[] = ["--disable-warning=DEP0205", "--import", "tsx"];
