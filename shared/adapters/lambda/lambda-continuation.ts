import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { ContinuationEvent, StartContinuation } from '../../core/lifecycle/continuation.ts';

/**
 * Continuations as asynchronous Lambda invocations (InvocationType `Event`): Lambda queues the event and answers 202
 * at once; with the function's one reserved slot still taken by the caller, it retries the event until the slot is
 * free. Bounded timeouts: the caller has its safety margin, not a quarter of an hour, to ask.
 */
export function lambdaContinuation(
  client: Pick<LambdaClient, 'send'> = new LambdaClient({
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
  }),
): StartContinuation {
  return async (event: ContinuationEvent, functionName: string) => {
    const { StatusCode } = await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
    if (StatusCode !== 202) throw new Error(`Lambda answered the asynchronous invocation with ${StatusCode}, not 202`);
  };
}
