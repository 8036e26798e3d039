/** Small tools for reading several sorted streams side by side, one item at a time, without holding them. */

/** One item at a time out of a stream of batches, with a look at the next one before taking it. */
export class Peekable<T> {
  readonly #source: AsyncIterator<readonly T[]>;
  #batch: readonly T[] = [];
  #at = 0;
  #done = false;

  constructor(batches: AsyncIterable<readonly T[]>) {
    this.#source = batches[Symbol.asyncIterator]();
  }

  /** The next item, left in place; undefined at the end. */
  async peek(): Promise<T | undefined> {
    while (this.#at >= this.#batch.length) {
      if (this.#done) return undefined;
      const next = await this.#source.next();
      if (next.done) {
        this.#done = true;
        return undefined;
      }
      this.#batch = next.value;
      this.#at = 0;
    }
    return this.#batch[this.#at];
  }

  async next(): Promise<T | undefined> {
    const item = await this.peek();
    if (item !== undefined) this.#at++;
    return item;
  }

  /** Lets the source release what it holds (a cursor, a file) when reading stops early. */
  async close(): Promise<void> {
    if (!this.#done) await this.#source.return?.();
    this.#done = true;
  }
}

/**
 * `work` over `items` with up to `concurrency` of them under way, results in the items' order, in batches: many
 * small reads (checkpoint copies) overlap their latency, and memory stays at `concurrency` results ahead.
 */
export async function* mapOrdered<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): AsyncGenerator<R[]> {
  const running: Promise<R>[] = [];
  let next = 0;
  const fill = () => {
    while (running.length < concurrency && next < items.length) {
      const result = work(items[next++]!);
      // Awaited in turn below; until then a failure must not count as unhandled.
      result.catch(() => undefined);
      running.push(result);
    }
  };
  fill();
  while (running.length > 0) {
    const batch: R[] = [await running.shift()!];
    fill();
    yield batch;
  }
}

/** A stream of batches from one array, for sources that already hold theirs. */
export async function* batchesOf<T>(items: readonly T[], size = 1000): AsyncGenerator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
