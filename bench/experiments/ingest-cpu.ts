/**
 * CPU per event of the local path's pure steps, without I/O: validate a request's events, pack them into FIFO
 * messages, and parse those messages as the writer does. `node --import tsx bench/experiments/ingest-cpu.ts`.
 */
import { createCatalog } from '../../shared/core/domain/catalog.ts';
import { type IngestContext, validateEvents } from '../../shared/core/domain/event.ts';
import { packEvents } from '../../shared/core/ingest/packing.ts';
import { messageBodySchema } from '../../shared/core/writer/write-batch.ts';
import { createFleet, createRandom, eventBody } from '../events.ts';

const random = createRandom(7);
const floor = createFleet(5000).filter((entity) => entity.type !== 'user');
const REQUESTS = 200;
const PER_REQUEST = 500;
const bodies = Array.from({ length: REQUESTS }, () =>
  JSON.stringify(
    Array.from({ length: 10 }, () => {
      const entity = floor[Math.floor(random() * floor.length)]!;
      return Array.from({ length: PER_REQUEST / 10 }, () => ({ ...eventBody(random, entity), entity }));
    }).flat(),
  ),
);
const ctx: IngestContext = {
  actor: { type: 'user', id: 'bench' },
  source: { channel: 'http', principal: 'bench', ip: '127.0.0.1' },
  roles: ['operator'],
  receivedAt: new Date(),
  catalog: createCatalog(),
};

function run() {
  const t = { validate: 0, pack: 0, parse: 0 };
  for (const body of bodies) {
    const raws = JSON.parse(body) as unknown[];
    let start = performance.now();
    const validated = validateEvents(raws, { ...ctx, receivedAt: new Date() });
    if (!validated.ok) throw new Error(JSON.stringify(validated.issues.slice(0, 3)));
    t.validate += performance.now() - start;
    start = performance.now();
    const messages = packEvents(validated.events);
    t.pack += performance.now() - start;
    start = performance.now();
    for (const message of messages) {
      const parsed = messageBodySchema.safeParse(JSON.parse(message.body));
      if (!parsed.success) throw new Error(parsed.error.message);
    }
    t.parse += performance.now() - start;
  }
  return t;
}

for (let round = 0; round < 5; round++) {
  const t = run();
  const us = (ms: number) => ((ms * 1000) / (REQUESTS * PER_REQUEST)).toFixed(2);
  if (round > 0) console.log(`µs/event: validate ${us(t.validate)} · pack ${us(t.pack)} · writer parse ${us(t.parse)}`);
}
