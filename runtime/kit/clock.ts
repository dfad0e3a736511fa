/** A timer returned by a {@link Clock}; `unref` where the clock has it (Node's timers). */
export interface ClockTimer {
  unref?(): unknown;
}

/**
 * Time as the kit sees it: the current time and one-shot timers. Production uses
 * {@link systemClock}; tests inject a fake one to step time exactly, without wall-clock slack.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer | undefined): void;
}

/** `Date.now` and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
};
