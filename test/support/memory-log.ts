import { CompactRange, type NodeReader, TILE_LEVELS } from '../../shared/core/tamper/merkle.ts';

/**
 * The log's node store in memory, holding exactly what the PostgreSQL one holds: every leaf hash (event_log) and
 * the nodes CompactRange.append completes at levels that are multiples of TILE_LEVELS (log_nodes). It refuses to
 * serve anything else, so a proof built from it shows that the stored nodes are enough.
 */
export class MemoryLog implements NodeReader {
  readonly range = new CompactRange();
  readonly #leaves: Buffer[] = [];
  readonly #nodes = new Map<string, Buffer>();
  /** How many leaves and nodes reads have returned: what a proof costs the store. */
  served = 0;

  append(...leafHashes: Buffer[]): this {
    for (const leaf of leafHashes)
      for (const node of this.range.append(leaf)) {
        if (node.level === 0) this.#leaves.push(node.hash);
        else if (node.level % TILE_LEVELS === 0) this.#nodes.set(`${node.level}/${node.index}`, node.hash);
      }
    return this;
  }

  get size(): number {
    return this.#leaves.length;
  }

  /** How many level-8k nodes are stored. */
  get storedNodes(): number {
    return this.#nodes.size;
  }

  async leaves(from: number, to: number): Promise<Buffer[]> {
    if (!(0 <= from && from <= to && to <= this.#leaves.length))
      throw new Error(`leaves [${from}, ${to}) asked of a log of ${this.#leaves.length}`);
    this.served += to - from;
    return this.#leaves.slice(from, to);
  }

  async nodes(level: number, from: number, to: number): Promise<Buffer[]> {
    if (level <= 0 || level % TILE_LEVELS !== 0) throw new Error(`level ${level} is not stored`);
    const found: Buffer[] = [];
    for (let index = from; index < to; index++) {
      const hash = this.#nodes.get(`${level}/${index}`);
      if (hash === undefined) throw new Error(`node ${level}/${index} is not stored`);
      found.push(hash);
    }
    this.served += found.length;
    return found;
  }
}
