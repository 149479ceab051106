/**
 * The framework-neutral HTTP layer: the seed's API as a function from request to response,
 * the route table, and response helpers. The Express and Koa adapters in `examples/` wrap it.
 *
 * @module
 */
export {
  createApiHandler,
  type ApiHandler,
  type ApiHandlerOptions,
  type ApiHub,
  type ApiRequest,
  type GetUser,
} from "./handler.js";
export {
  errorResponse,
  HttpErrorCodes,
  jsonResponse,
  jsonTextResponse,
  methodNotAllowedResponse,
  routeNotFoundResponse,
  type ApiResponse,
  type HttpErrorBody,
  type HttpErrorCode,
} from "./response.js";
export { EventPageWriter } from "./event-page.js";
export {
  EVENT_STREAM_HEADERS,
  isEventStreamBody,
  type EventStreamBody,
  type EventStreamDrop,
  type EventStreamHub,
  type EventStreamOptions,
  type EventStreamSink,
  type EventStreamStats,
} from "./event-stream.js";
export { LogPageWriter } from "./log-page.js";
export { matchApiRoute, type ApiRouteMatch, type ApiRouteName } from "./routes.js";
export { clientGoneSignal, type ClosableResponse, type LazySignal } from "./client-signal.js";
export {
  answerClientErrors,
  crossOriginWriteResponse,
  foreignHostResponse,
  frameworkErrorResponse,
  hostName,
  LOOPBACK_HOSTS,
  type ClientErrorSource,
  type CrossOriginOptions,
  type RequestHeaders,
} from "./guards.js";
