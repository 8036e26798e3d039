/**
 * An event's JSON text (`JSON.stringify`), made once: ingest measures an event against its size limit with it and
 * then packs the same text into the queue message, which took a second serialization of every event before.
 * Remembered per event object; an object changed after its first serialization would keep its old text, and no
 * stored event is changed after validation.
 */
const texts = new WeakMap<object, string>();

export function eventText(event: object): string {
  let text = texts.get(event);
  if (text === undefined) {
    text = JSON.stringify(event);
    texts.set(event, text);
  }
  return text;
}
