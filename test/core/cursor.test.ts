import { describe, expect, it } from "vitest";
import { pageCursor } from "../../src/events/cursor.js";
import { ValidationError } from "../../src/index.js";

/** A window of the feed holding events `from..to` (oldest first), with its head and oldest. */
function window(from: number, to: number, head: number, oldest: number) {
  const events = [];
  for (let i = from; i <= to; i++) events.push({ index: i });
  return { events, head, oldest };
}

describe("pageCursor: the newest page (no index)", () => {
  it("a full page starts just before its oldest event and continues at the head", () => {
    // The seed's example: events 57..76 of 76, limit 20.
    expect(pageCursor(window(57, 76, 76, 1), undefined, 20)).toEqual({ index: 56, offset: 76, lost: 0 });
  });

  it("a short page starts just before the oldest retained event", () => {
    expect(pageCursor(window(1, 5, 5, 1), undefined, 20)).toEqual({ index: 0, offset: 5, lost: 0 });
    expect(pageCursor(window(31, 35, 35, 31), undefined, 20)).toEqual({ index: 30, offset: 35, lost: 0 });
  });

  it("a page one short of full is short", () => {
    expect(pageCursor(window(2, 20, 20, 2), undefined, 20)).toEqual({ index: 1, offset: 20, lost: 0 });
    expect(pageCursor(window(1, 20, 20, 1), undefined, 20)).toEqual({ index: 0, offset: 20, lost: 0 });
  });

  it("an empty feed reads as index 0, offset 0", () => {
    expect(pageCursor(window(1, 0, 0, 0), undefined, 20)).toEqual({ index: 0, offset: 0, lost: 0 });
  });

  it("a feed whose events were all pruned starts at the head", () => {
    expect(pageCursor(window(1, 0, 9, 0), undefined, 20)).toEqual({ index: 9, offset: 9, lost: 0 });
  });

  it("a page the reader sees only part of (other users' events) still starts before its own oldest event", () => {
    expect(pageCursor({ events: [{ index: 3 }, { index: 8 }], head: 10, oldest: 1 }, undefined, 2)).toEqual({ index: 2, offset: 10, lost: 0 });
  });
});

describe("pageCursor: reading after a cursor", () => {
  it("a full page continues at its newest event", () => {
    expect(pageCursor(window(11, 15, 40, 1), 10, 5)).toEqual({ index: 10, offset: 15, lost: 0 });
  });

  it("a short page continues at the head", () => {
    expect(pageCursor(window(11, 14, 14, 1), 10, 5)).toEqual({ index: 10, offset: 14, lost: 0 });
    expect(pageCursor(window(1, 0, 14, 1), 14, 5)).toEqual({ index: 14, offset: 14, lost: 0 });
  });

  it("a cursor at the head is allowed, one past it is refused naming the cursor and the head", () => {
    expect(pageCursor(window(1, 0, 7, 1), 7, 5)).toEqual({ index: 7, offset: 7, lost: 0 });
    let caught: unknown;
    try {
      pageCursor(window(1, 0, 7, 1), 8, 5);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).param).toBe("index");
    expect((caught as ValidationError).message).toBe(`"index" 8 is ahead of the feed (newest is 7)`);
  });

  it("counts the events retention dropped after the cursor, and starts the page after the gap", () => {
    // Events 1..10 were pruned; 11 is the oldest retained.
    expect(pageCursor(window(11, 12, 12, 11), 4, 5)).toEqual({ index: 10, offset: 12, lost: 6 });
    // A cursor just before the oldest retained event lost nothing.
    expect(pageCursor(window(11, 12, 12, 11), 10, 5)).toEqual({ index: 10, offset: 12, lost: 0 });
    // One further back lost exactly one.
    expect(pageCursor(window(11, 12, 12, 11), 9, 5)).toEqual({ index: 10, offset: 12, lost: 1 });
  });

  it("counts the whole feed as lost when everything after the cursor was pruned", () => {
    expect(pageCursor(window(1, 0, 9, 0), 2, 5)).toEqual({ index: 9, offset: 9, lost: 7 });
  });
});
