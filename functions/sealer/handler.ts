import { lambdaHandler } from '../../shared/apps/runtime/lambda.ts';
import { sealerFromEnvironment } from '../../shared/apps/sealer.ts';

/** Every minute: seal what was written since the last round and sign a checkpoint. Wired on the first invocation (shared/apps/sealer.ts). */
export const handler = lambdaHandler(sealerFromEnvironment);
