/** Events recorded by a controller under test (an EventSink keeping what it was given). */
import type { EventSink } from '../../../runtime/kit/index.js';

export interface RecordedEvent {
  readonly namespace: string;
  readonly reason: string;
  readonly type: string;
  readonly message: string;
  readonly on: string;
  readonly kind: string;
}

export class FakeEvents implements EventSink {
  readonly events: RecordedEvent[] = [];
  async create(namespace: string, event: Record<string, unknown>): Promise<unknown> {
    const e = event as { reason: string; type: string; message: string; involvedObject: { name: string; kind: string } };
    this.events.push({ namespace, reason: e.reason, type: e.type, message: e.message, on: e.involvedObject.name, kind: e.involvedObject.kind });
    return event;
  }
  reasons(on?: string): string[] {
    return this.events.filter((e) => on === undefined || e.on === on).map((e) => e.reason);
  }
}
