import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';

/**
 * Invokes the IoT ingest function synchronously (InvocationType `RequestResponse`) with one rule event and waits for
 * its answer: resolves with a note when it rejected the device message (as it rejects live traffic: logged and
 * counted), throws with the function's error when it failed. Synchronous so that `trail dlq redrive` deletes a
 * record only once the events are on the queue; an asynchronous invoke answers 202 before anything ran.
 */
export function lambdaIngestInvoker(client: Pick<LambdaClient, 'send'>, functionName: string) {
  return async (ruleEvent: unknown): Promise<{ note?: string }> => {
    const response = await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(ruleEvent)),
      }),
    );
    const text = response.Payload ? new TextDecoder().decode(response.Payload) : '';
    if (response.FunctionError) throw new Error(`${functionName} failed (${response.FunctionError}): ${text}`);
    const result = parse(text) as { rejected?: unknown; accepted?: unknown } | undefined;
    if (typeof result?.rejected === 'string') return { note: `the function rejected it: ${result.rejected}` };
    if (Array.isArray(result?.accepted)) return { note: `${result.accepted.length} event(s) accepted` };
    return {};
  };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
