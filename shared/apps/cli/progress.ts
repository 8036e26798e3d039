/** A one-line progress bar redrawn in place; nothing at all when the stream is not a terminal. */
export function progressBar(stream: NodeJS.WriteStream = process.stdout) {
  let drawn = false;
  return {
    update(p: Progress) {
      if (!stream.isTTY) return;
      const width = 30;
      const share = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
      const filled = Math.round(share * width);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
      stream.write(`\r${p.month} ${p.step} ${bar} ${Math.round(share * 100)}% ${p.done.toLocaleString('en')} rows`);
      drawn = true;
    },
    /** Ends the bar's line so the next output starts clean. */
    end() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}

import type { Progress } from '../../core/lifecycle/result.ts';
