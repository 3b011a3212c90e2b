// Delivers the executor's status-change events to an EventBridge bus (the AWS emulator's), as SageMaker emits
// them there: the deployed rules, not the executor, decide which of them alert.
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { EventBridgeEvent } from './events';

export interface EventDelivery {
  /** For StartExecutionInput.onEvent. */
  readonly onEvent: (event: EventBridgeEvent) => void;
  /** Resolves once every event so far is on the bus; rejects with the first delivery that failed. */
  settled(): Promise<void>;
}

export function eventBridgeDelivery(client: EventBridgeClient): EventDelivery {
  const pending: Promise<unknown>[] = [];
  return {
    onEvent: (event) => {
      pending.push(
        client.send(
          new PutEventsCommand({
            Entries: [{ Source: event.source, DetailType: event['detail-type'], Detail: JSON.stringify(event.detail), Resources: event.resources, Time: new Date(event.time) }],
          }),
        ),
      );
    },
    async settled() {
      const results = await Promise.allSettled(pending);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw new Error(`a pipeline status event could not be put on EventBridge: ${String(failed.reason)}`, { cause: failed.reason });
    },
  };
}
