import type { Interaction } from '../interactions/interaction.ts';

/** Where the gateway (the local API, or API Gateway's access log on AWS) records every request it answered. */
export interface InteractionLog {
  /** Resolves once what must be written for this request (maybe nothing: see FailureSummarizer) is on the queue. */
  record(interaction: Interaction): Promise<void>;
}
