// A minimal JSON reader/writer for the registry's arguments: one top-level object whose values are
// strings, non-negative integers, booleans, null or arrays of strings. Anything malformed panics.

import { fail } from './host'

const QUOTE: u8 = 0x22
const BACKSLASH: u8 = 0x5c

/** Reads fields of a top-level JSON object. */
export class Args {
  private b: Uint8Array
  private pos: i32 = 0
  private keys: string[] = []
  private starts: i32[] = []

  constructor(b: Uint8Array) {
    this.b = b
    this.parse()
  }

  private parse(): void {
    this.ws()
    if (this.pos == this.b.length) return // no arguments at all = {}
    this.expect(0x7b) // {
    this.ws()
    if (this.peek() == 0x7d) {
      this.pos++
      this.end()
      return
    }
    while (true) {
      this.ws()
      const key = String.UTF8.decode(this.str().buffer)
      this.ws()
      this.expect(0x3a) // :
      this.ws()
      this.keys.push(key)
      this.starts.push(this.pos)
      this.skipValue()
      this.ws()
      const c = this.next()
      if (c == 0x7d) break
      if (c != 0x2c) fail('InvalidArgs: expected , or }')
    }
    this.end()
  }

  private end(): void {
    this.ws()
    if (this.pos != this.b.length) fail('InvalidArgs: trailing data')
  }

  private at(name: string): i32 {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == name) return this.starts[i]
    fail('InvalidArgs: missing ' + name)
    return -1
  }

  /** Whether the field is present. */
  has(name: string): bool {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == name) return true
    return false
  }

  /** A string field as UTF-8 bytes. */
  bytes(name: string): Uint8Array {
    this.pos = this.at(name)
    return this.str()
  }

  /** A string field. */
  string(name: string): string {
    return String.UTF8.decode(this.bytes(name).buffer)
  }

  /** A non-negative integer field (u64). */
  u64(name: string): u64 {
    this.pos = this.at(name)
    return this.num()
  }

  /** An array-of-strings field, each as UTF-8 bytes. */
  strings(name: string): Uint8Array[] {
    this.pos = this.at(name)
    const out: Uint8Array[] = []
    this.expect(0x5b) // [
    this.ws()
    if (this.peek() == 0x5d) {
      this.pos++
      return out
    }
    while (true) {
      this.ws()
      out.push(this.str())
      this.ws()
      const c = this.next()
      if (c == 0x5d) break
      if (c != 0x2c) fail('InvalidArgs: expected , or ]')
    }
    return out
  }

  private peek(): u8 {
    if (this.pos >= this.b.length) fail('InvalidArgs: unexpected end')
    return this.b[this.pos]
  }

  private next(): u8 {
    const c = this.peek()
    this.pos++
    return c
  }

  private expect(c: u8): void {
    if (this.next() != c) fail('InvalidArgs: unexpected character')
  }

  private ws(): void {
    while (this.pos < this.b.length) {
      const c = this.b[this.pos]
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) return
      this.pos++
    }
  }

  private hex4(): u32 {
    let v: u32 = 0
    for (let i = 0; i < 4; i++) {
      const d = hexDigit(this.next())
      if (d < 0) fail('InvalidArgs: bad \\u escape')
      v = (v << 4) | <u32>d
    }
    return v
  }

  private str(): Uint8Array {
    this.expect(QUOTE)
    const out: u8[] = []
    while (true) {
      const c = this.next()
      if (c == QUOTE) break
      if (c < 0x20) fail('InvalidArgs: control character in string')
      if (c != BACKSLASH) {
        out.push(c)
        continue
      }
      const e = this.next()
      if (e == QUOTE || e == BACKSLASH || e == 0x2f) out.push(e)
      else if (e == 0x62) out.push(0x08)
      else if (e == 0x66) out.push(0x0c)
      else if (e == 0x6e) out.push(0x0a)
      else if (e == 0x72) out.push(0x0d)
      else if (e == 0x74) out.push(0x09)
      else if (e == 0x75) {
        let cp = this.hex4()
        if (cp >= 0xd800 && cp < 0xdc00) {
          this.expect(BACKSLASH)
          this.expect(0x75)
          const lo = this.hex4()
          if (lo < 0xdc00 || lo >= 0xe000) fail('InvalidArgs: bad surrogate pair')
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00)
        } else if (cp >= 0xdc00 && cp < 0xe000) fail('InvalidArgs: bad surrogate pair')
        pushUtf8(out, cp)
      } else fail('InvalidArgs: bad escape')
    }
    const r = new Uint8Array(out.length)
    for (let i = 0; i < out.length; i++) r[i] = out[i]
    return r
  }

  private num(): u64 {
    let v: u64 = 0
    let digits = 0
    while (this.pos < this.b.length) {
      const c = this.b[this.pos]
      if (c < 0x30 || c > 0x39) break
      if (digits == 1 && v == 0) fail('InvalidArgs: leading zero')
      const d = <u64>(c - 0x30)
      if (v > (U64.MAX_VALUE - d) / 10) fail('InvalidArgs: integer too large')
      v = v * 10 + d
      digits++
      this.pos++
    }
    if (digits == 0) fail('InvalidArgs: expected a non-negative integer')
    if (this.pos < this.b.length) {
      const c = this.b[this.pos]
      if (c == 0x2e || c == 0x65 || c == 0x45) fail('InvalidArgs: expected an integer')
    }
    return v
  }

  private skipValue(): void {
    const c = this.peek()
    if (c == QUOTE) {
      this.str()
    } else if (c == 0x5b || c == 0x7b) {
      // arrays and objects: skip balanced brackets, strings included
      let depth = 0
      while (true) {
        const d = this.peek()
        if (d == QUOTE) {
          this.str()
          continue
        }
        this.pos++
        if (d == 0x5b || d == 0x7b) depth++
        else if (d == 0x5d || d == 0x7d) {
          depth--
          if (depth == 0) return
        }
      }
    } else {
      // numbers, true, false, null
      const start = this.pos
      while (this.pos < this.b.length) {
        const d = this.b[this.pos]
        if (d == 0x2c || d == 0x7d || d == 0x5d || d == 0x20 || d == 0x0a || d == 0x0d || d == 0x09) break
        this.pos++
      }
      if (this.pos == start) fail('InvalidArgs: expected a value')
    }
  }
}

function pushUtf8(out: u8[], cp: u32): void {
  if (cp < 0x80) out.push(<u8>cp)
  else if (cp < 0x800) {
    out.push(<u8>(0xc0 | (cp >> 6)))
    out.push(<u8>(0x80 | (cp & 0x3f)))
  } else if (cp < 0x10000) {
    out.push(<u8>(0xe0 | (cp >> 12)))
    out.push(<u8>(0x80 | ((cp >> 6) & 0x3f)))
    out.push(<u8>(0x80 | (cp & 0x3f)))
  } else {
    out.push(<u8>(0xf0 | (cp >> 18)))
    out.push(<u8>(0x80 | ((cp >> 12) & 0x3f)))
    out.push(<u8>(0x80 | ((cp >> 6) & 0x3f)))
    out.push(<u8>(0x80 | (cp & 0x3f)))
  }
}

/** Value of a hex digit, -1 when `c` is not one. */
export function hexDigit(c: u8): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10
  return -1
}

const HEX = '0123456789abcdef'

/** `0x` + lowercase hex of `b`. */
export function toHex(b: Uint8Array): string {
  let s = '0x'
  for (let i = 0; i < b.length; i++) s += HEX.charAt(b[i] >> 4) + HEX.charAt(b[i] & 15)
  return s
}

/** Parses `0x` + 64 hex digits into 32 bytes; panics with `what` otherwise. */
export function bytes32(s: Uint8Array, what: string): Uint8Array {
  if (s.length != 66 || s[0] != 0x30 || (s[1] != 0x78 && s[1] != 0x58))
    fail('InvalidArgs: ' + what + ' must be 0x + 64 hex digits')
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) {
    const hi = hexDigit(s[2 + 2 * i])
    const lo = hexDigit(s[3 + 2 * i])
    if (hi < 0 || lo < 0) fail('InvalidArgs: ' + what + ' must be 0x + 64 hex digits')
    out[i] = <u8>((hi << 4) | lo)
  }
  return out
}

/** A JSON string literal of `s` (quotes, backslashes and control characters escaped). */
export function quote(s: string): string {
  let out = '"'
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c == 0x22) out += '\\"'
    else if (c == 0x5c) out += '\\\\'
    else if (c < 0x20) out += '\\u00' + HEX.charAt(c >> 4) + HEX.charAt(c & 15)
    else out += String.fromCharCode(c)
  }
  return out + '"'
}
