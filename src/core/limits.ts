/**
 * The bounds of what gridshift plans and stores. Every door (the API, the CLI, configuration files) checks
 * against these, so that no request makes the planner or the store hold more than they allow: the planner's
 * memory grows with the slots of the planning window, and the window is bounded here, not by the calendar
 * span a request names. docs/api.md lists them for users.
 */

const DAY_MIN = 1440;

/** A load runs at most 30 days in all (an interruptible one in pieces). */
export const MAX_DURATION_MIN = 30 * DAY_MIN;

/** `maxDelayMin`: the start may move at most 30 days after the earliest start. */
export const MAX_DELAY_MIN = 30 * DAY_MIN;

/**
 * The planning window, from the earliest start (or now, when that is later) to the deadline: at most 60 days,
 * so that the longest delay of the longest load fits.
 */
export const MAX_WINDOW_MIN = MAX_DURATION_MIN + MAX_DELAY_MIN;

/** The earliest start and the deadline lie within a year (366 days) of now, either way. */
export const MAX_TIME_OFFSET_DAYS = 366;

/** An interruptible load runs in at most this many pieces. */
export const MAX_PIECES = 10_000;

/** Forecast hours a signals request may ask for: one week. */
export const MAX_SIGNAL_HOURS = 168;

/** The planning step: from one minute to one day. */
export const MIN_STEP_MIN = 1;
export const MAX_STEP_MIN = DAY_MIN;

/** A contiguous run must fit in one queue run: 24 hours less the queue's default 5-minute expiry margin. */
export const MAX_RUN_MIN = 24 * 60 - 5;

/** Arrays and objects in a request (a body, an MQTT payload) nest at most this deep. */
export const MAX_JSON_DEPTH = 32;
