import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../shared/core/domain/event-digest.ts';
import { canonicalize } from '../../shared/core/tamper/canonical-json.ts';

/** A double from its IEEE 754 bits, as RFC 8785 Appendix B lists them. */
function double(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

describe('canonicalize (RFC 8785)', () => {
  it('writes the §3.2.2 example as the RFC does: numbers, escapes, literals, sorted members', () => {
    const parsed = JSON.parse(String.raw`{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }`);
    expect(canonicalize(parsed)).toBe(
      String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
    );
  });

  it('sorts members by UTF-16 code units (§3.2.3): the emoji (D83D DE00) before U+FB33, unlike code point order', () => {
    const parsed = JSON.parse(String.raw`{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }`);
    expect(canonicalize(parsed)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",' +
        '"€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it.each([
    ['0000000000000000', '0'],
    ['8000000000000000', '0'], // -0
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ])('writes the Appendix B double %s as %s', (bits, text) => {
    expect(canonicalize(double(bits))).toBe(text);
  });

  it('writes 1e21 and 1e-7 in exponent form and -0 as 0, in any position', () => {
    expect(canonicalize({ big: 1e21, small: 1e-7, zero: -0, under: 1e20 })).toBe(
      '{"big":1e+21,"small":1e-7,"under":100000000000000000000,"zero":0}',
    );
  });

  it('escapes as §3.2.2.2 says: \\b \\t \\n \\f \\r \\" \\\\ short, other controls \\u00xx lower-case, nothing else', () => {
    expect(canonicalize('\u0000\u0008\u0009\u000a\u000c\u000d\u001f"\\/\u007f\u00e9\u2028😀')).toBe(
      '"\\u0000\\b\\t\\n\\f\\r\\u001f\\"\\\\/\u007f\u00e9\u2028😀"',
    );
  });

  it('keeps the text as it is, without Unicode normalization (A + combining ring stays two code points)', () => {
    expect(canonicalize({ 'Unnormalized Unicode': 'A\u030a' })).toBe('{"Unnormalized Unicode":"A\u030a"}');
  });

  it('sorts keys at every depth and keeps array order, with no whitespace', () => {
    expect(canonicalize([56, { d: true, '10': null, '1': [] }])).toBe('[56,{"1":[],"10":null,"d":true}]');
    expect(canonicalize({ b: [{ z: 1, a: 2 }], a: { d: true, c: null } })).toBe(
      '{"a":{"c":null,"d":true},"b":[{"a":2,"z":1}]}',
    );
  });

  it('leaves out undefined members, and uses toJSON as JSON.stringify does', () => {
    expect(canonicalize({ a: undefined, b: new Date('2026-05-10T12:00:00.000Z') })).toBe(
      '{"b":"2026-05-10T12:00:00.000Z"}',
    );
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', { a: [Number.POSITIVE_INFINITY] }],
    ['a lone surrogate in a string', { a: 'x\ud800' }],
    ['a lone surrogate in a key', { '\udc00': 1 }],
    ['a bigint', { a: 1n }],
    ['a function', { a: () => 1 }],
    ['undefined in an array', [undefined]],
    ['undefined alone', undefined],
  ])('refuses %s, which is not I-JSON', (_, value) => {
    expect(() => canonicalize(value)).toThrow(TypeError);
  });

  it('says where the value that is not JSON is', () => {
    expect(() => canonicalize({ payload: { readings: [1, Number.NaN] } })).toThrow(
      'the value at .payload.readings[1] is NaN',
    );
  });

  it('is a fixpoint: parsing the canonical text and canonicalizing again gives the same text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalize(value);
        expect(canonicalize(JSON.parse(text))).toBe(text);
      }),
    );
  });

  it('is what event-digest.ts calls canonicalJson', () => {
    expect(canonicalJson).toBe(canonicalize);
  });
});
