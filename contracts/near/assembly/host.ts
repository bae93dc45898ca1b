// NEAR host functions (nearcore `near-vm-logic`, imported from "env"). Only what the registry uses.

@external("env", "read_register")
export declare function read_register(register_id: u64, ptr: u64): void
@external("env", "register_len")
export declare function register_len(register_id: u64): u64
@external("env", "input")
export declare function input(register_id: u64): void
@external("env", "predecessor_account_id")
export declare function predecessor_account_id(register_id: u64): void
@external("env", "current_account_id")
export declare function current_account_id(register_id: u64): void
@external("env", "block_index")
export declare function block_index(): u64
@external("env", "block_timestamp")
export declare function block_timestamp(): u64
@external("env", "sha256")
export declare function sha256(value_len: u64, value_ptr: u64, register_id: u64): void
@external("env", "value_return")
export declare function value_return(value_len: u64, value_ptr: u64): void
@external("env", "panic_utf8")
export declare function panic_utf8(len: u64, ptr: u64): void
@external("env", "log_utf8")
export declare function log_utf8(len: u64, ptr: u64): void
@external("env", "storage_write")
export declare function storage_write(key_len: u64, key_ptr: u64, value_len: u64, value_ptr: u64, register_id: u64): u64
@external("env", "storage_read")
export declare function storage_read(key_len: u64, key_ptr: u64, register_id: u64): u64
@external("env", "storage_remove")
export declare function storage_remove(key_len: u64, key_ptr: u64, register_id: u64): u64

/** Register used for every host result. */
const REG: u64 = 0

/** Copies register `REG` into a new byte array. */
function readRegister(): Uint8Array {
  const out = new Uint8Array(<i32>register_len(REG))
  read_register(REG, <u64>out.dataStart)
  return out
}

/** Bytes of a string, UTF-8. */
export function utf8(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s))
}

/** Aborts the call with `message` (nearcore reports it as a GuestPanic). */
export function fail(message: string): void {
  const b = utf8(message)
  panic_utf8(<u64>b.length, <u64>b.dataStart)
}

/** Writes an NEP-297 event log line. */
export function logEvent(json: string): void {
  const b = utf8('EVENT_JSON:' + json)
  log_utf8(<u64>b.length, <u64>b.dataStart)
}

/** The call's input bytes. */
export function callInput(): Uint8Array {
  input(REG)
  return readRegister()
}

/** The account that called this contract (UTF-8 account id). */
export function predecessor(): string {
  predecessor_account_id(REG)
  return String.UTF8.decode(readRegister().buffer)
}

/** This contract's account id. */
export function currentAccount(): string {
  current_account_id(REG)
  return String.UTF8.decode(readRegister().buffer)
}

/** SHA-256 by the host. */
export function hash(data: Uint8Array): Uint8Array {
  sha256(<u64>data.length, <u64>data.dataStart, REG)
  return readRegister()
}

/** Returns `value` as the call's result. */
export function returnString(value: string): void {
  const b = utf8(value)
  value_return(<u64>b.length, <u64>b.dataStart)
}

/** The stored value of `key`, or null. */
export function storageGet(key: Uint8Array): Uint8Array | null {
  if (storage_read(<u64>key.length, <u64>key.dataStart, REG) == 0) return null
  return readRegister()
}

/** Stores `value` under `key`. */
export function storageSet(key: Uint8Array, value: Uint8Array): void {
  storage_write(<u64>key.length, <u64>key.dataStart, <u64>value.length, <u64>value.dataStart, REG)
}

/** Removes `key`. */
export function storageRemove(key: Uint8Array): void {
  storage_remove(<u64>key.length, <u64>key.dataStart, REG)
}
