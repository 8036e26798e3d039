import type { ContinuationEvent, StartContinuation } from './continuation.ts';

/** The part of `@aws-sdk/client-lambda` a continuation uses: a client and the Invoke command. */
export interface LambdaInvokeSdk {
  LambdaClient: new (config: {
    maxAttempts?: number;
    requestHandler?: { connectionTimeout?: number; requestTimeout?: number };
  }) => { send(command: unknown): Promise<{ StatusCode?: number }> };
  InvokeCommand: new (input: { FunctionName: string; InvocationType: 'Event'; Payload: Uint8Array }) => unknown;
}

/**
 * `@aws-sdk/client-lambda` is not a dependency of this repository yet, so it is loaded by a name the type checker
 * does not resolve. On Lambda it resolves to the copy the Node.js runtime ships (bundles leave `@aws-sdk/*`
 * external). Once the package is in package.json: import it statically here and test with aws-sdk-client-mock.
 */
async function runtimeLambdaSdk(): Promise<LambdaInvokeSdk> {
  const name = '@aws-sdk/client-lambda';
  return (await import(name)) as LambdaInvokeSdk;
}

/**
 * Continuations as asynchronous Lambda invocations (InvocationType `Event`): Lambda queues the event and answers 202
 * at once; with the function's one reserved slot still taken by the caller, it retries the event until the slot is
 * free. Bounded timeouts: the caller has its safety margin, not a quarter of an hour, to ask.
 */
export function lambdaContinuation(loadSdk: () => Promise<LambdaInvokeSdk> = runtimeLambdaSdk): StartContinuation {
  let client: { send(command: unknown): Promise<{ StatusCode?: number }> } | undefined;
  return async (event: ContinuationEvent, functionName: string) => {
    const sdk = await loadSdk();
    client ??= new sdk.LambdaClient({
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
    });
    const { StatusCode } = await client.send(
      new sdk.InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
    if (StatusCode !== 202) throw new Error(`Lambda answered the asynchronous invocation with ${StatusCode}, not 202`);
  };
}
