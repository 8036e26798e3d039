import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueueJournal, readJournal } from '../../shared/apps/local/queue-journal.ts';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trail-journal-'));
  file = join(dir, 'journal.ndjson');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const message = (body: string, group = 'robot:r-1') => ({
  MessageBody: body,
  MessageGroupId: group,
  MessageDeduplicationId: `d-${body}`,
});

describe('the local queue journal', () => {
  it('has a message on disk when append resolves, and keeps it across a reopen until it is acked', async () => {
    const journal = QueueJournal.open(file);
    const [first, second] = await journal.append('q.fifo', [message('a'), message('b')]);
    // On disk already, before any close: what a `kill -9` right now would leave.
    expect(readJournal(readFileSync(file, 'utf8')).map((e) => e.message.MessageBody)).toEqual(['a', 'b']);
    journal.ack([first!]);
    await journal.close();

    const reopened = QueueJournal.open(file);
    expect(reopened.pending()).toEqual([{ seq: second, queue: 'q.fifo', message: message('b') }]);
    const [third] = await reopened.append('q.fifo', [message('c')]);
    expect(third).toBeGreaterThan(second!);
    await reopened.close();
  });

  it('counts the bytes each queue holds unacked', async () => {
    const journal = QueueJournal.open(file);
    const seqs = await journal.append('q.fifo', [message('12345'), message('678')]);
    await journal.append('dlq.fifo', [message('x')]);
    expect(journal.backlogBytes('q.fifo')).toBe(8);
    journal.ack(seqs.slice(0, 1));
    expect(journal.backlogBytes('q.fifo')).toBe(3);
    expect(journal.backlogBytes('dlq.fifo')).toBe(1);
    await journal.close();
  });

  it('ignores a last line cut short by a crash (its send was never answered)', async () => {
    const journal = QueueJournal.open(file);
    await journal.append('q.fifo', [message('kept')]);
    await journal.close();
    appendFileSync(file, '{"s":2,"q":"q.fifo","m":{"MessageBo');
    expect(
      QueueJournal.open(file)
        .pending()
        .map((e) => e.message.MessageBody),
    ).toEqual(['kept']);
  });

  it('refuses a journal damaged before its last line, naming the line', () => {
    writeFileSync(file, '{"s":1,"q":"q.fifo","m":{"MessageBody":"a"}}\nnot json\n{"a":[1]}\n');
    expect(() => QueueJournal.open(file)).toThrow(/line 2 is damaged/);
  });

  it('drops acked messages from the file when it is opened again', async () => {
    const journal = QueueJournal.open(file);
    const seqs = await journal.append(
      'q.fifo',
      Array.from({ length: 200 }, (_, i) => message(`m${i}`)),
    );
    journal.ack(seqs.slice(0, 199));
    await journal.close();
    const before = statSync(file).size;
    const reopened = QueueJournal.open(file);
    expect(statSync(file).size).toBeLessThan(before / 50);
    expect(reopened.pending().map((e) => e.message.MessageBody)).toEqual(['m199']);
    await reopened.close();
  });

  it('reopens a journal holding more entries than a function call takes arguments', async () => {
    const journal = QueueJournal.open(file);
    await journal.append(
      'q.fifo',
      Array.from({ length: 200_000 }, (_, i) => message(`${i}`)),
    );
    await journal.close();
    const reopened = QueueJournal.open(file);
    expect(reopened.pending()).toHaveLength(200_000);
    const [next] = await reopened.append('q.fifo', [message('after')]);
    expect(next).toBe(200_001);
    await reopened.close();
  });

  it('shares one write among concurrent appends and keeps their order', async () => {
    const journal = QueueJournal.open(file);
    const appended = await Promise.all(
      Array.from({ length: 50 }, (_, i) => journal.append('q.fifo', [message(`${i}`)])),
    );
    expect(appended.flat()).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(readJournal(readFileSync(file, 'utf8')).map((e) => e.message.MessageBody)).toEqual(
      Array.from({ length: 50 }, (_, i) => `${i}`),
    );
    await journal.close();
  });

  it("tells each queue's oldest unacked message's age, 0 once all are acked", async () => {
    const journal = QueueJournal.open(file);
    expect(journal.oldestAgeSeconds('q.fifo')).toBe(0);
    const [first] = await journal.append('q.fifo', [message('a')]);
    await journal.append('dlq.fifo', [message('x')]);
    const later = Date.now() + 30_000;
    expect(journal.oldestAgeSeconds('q.fifo', later)).toBeGreaterThanOrEqual(29);
    const [second] = await journal.append('q.fifo', [message('b')]);
    journal.ack([first!]);
    // The oldest left is b, sent just now.
    expect(journal.oldestAgeSeconds('q.fifo', Date.now() + 1000)).toBeLessThan(2);
    journal.ack([second!]);
    expect(journal.oldestAgeSeconds('q.fifo', later)).toBe(0);
    expect(journal.oldestAgeSeconds('dlq.fifo', later)).toBeGreaterThanOrEqual(29);
    await journal.close();
  });
});
