/**
 * Generates `tests/test_anchor_cases.cairo` (snforge) from `anchor-cases.json`, so the compiled Cairo
 * contract runs exactly the cases the TypeScript model runs. `anchor-model.test.ts` fails when the
 * checked-in file is not the generator's output. Run: `node bin/run.js contracts/starknet/generate-cairo-tests.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { addressOf, type CaseEvent, type CaseStep, type CaseTable, loadAnchorCases } from './anchor-cases.ts'

/** Path of the generated snforge test file. */
export const CAIRO_TESTS_FILE = fileURLToPath(new URL('./tests/test_anchor_cases.cairo', import.meta.url))

const u256 = (v: string | number) => `0x${BigInt(v).toString(16)}_u256`
const addr = (t: CaseTable, v: string | number) => `addr(0x${addressOf(t, v).toString(16)})`
const str = (s: string) => {
  if (!/^[\x20-\x7e]*$/.test(s) || s.includes('"') || s.includes('\\'))
    throw new Error(`metadata ${s} needs escaping`)
  return `"${s}"`
}

function callExpr(t: CaseTable, call: string, a: Readonly<Record<string, string | number>>): string {
  switch (call) {
    case 'anchor':
      return `safe.anchor(${u256(a.log_id!)}, ${BigInt(a.tree_size!)}, ${u256(a.root!)})`
    case 'anchor_of':
      return `safe.anchor_of(${u256(a.root!)})`
    case 'register_node':
      return `safe.register_node(${u256(a.node_key!)}, ${addr(t, a.submitter!)}, ${str(String(a.metadata))})`
    case 'revoke_node':
    case 'is_node':
    case 'node_of':
      return `safe.${call}(${u256(a.node_key!)})`
    case 'is_submitter':
      return `safe.is_submitter(${addr(t, a.account!)})`
    case 'owner':
      return 'safe.owner()'
    default:
      throw new Error(`no Cairo rendering for ${call}`)
  }
}

const felt = (x: string) => `0x${BigInt(x).toString(16)}`

/** A raw `call_contract_syscall` with the step's felts: for inputs the typed dispatcher cannot express. */
const rawExpr = (call: string, raw: readonly string[]) =>
  `call_contract_syscall(contract, selector!("${call}"), array![${raw.map(felt).join(', ')}].span())`

/** `MeroAnchor::Event::…` of an expected event. */
function eventExpr(t: CaseTable, ev: CaseEvent): string {
  const [name, f] = Object.entries(ev)[0]!
  const fields = Object.entries(f).map(([k, v]) => {
    if (k === 'submitter') return `${k}: ${addr(t, v)}`
    if (k === 'tree_size') return `${k}: ${BigInt(v)}`
    if (k === 'metadata') return `${k}: ${str(String(v))}`
    return `${k}: ${u256(v)}`
  })
  return `(contract, MeroAnchor::Event::${name}(MeroAnchor::${name} { ${fields.join(', ')} }))`
}

function stepLines(t: CaseTable, s: CaseStep, i: number): string[] {
  if ('block' in s)
    return [
      `    start_cheat_block_number(contract, ${s.block.number});`,
      `    start_cheat_block_timestamp(contract, ${s.block.timestamp});`,
    ]
  const lines = [
    `    // step ${i}: ${s.caller} calls ${s.call}`,
    `    start_cheat_caller_address(contract, ${addr(t, s.caller)});`,
  ]
  // A fresh spy per checked step: it sees exactly this step's events.
  if (s.events !== undefined) lines.push('    let mut spy = spy_events();')
  const expr = s.raw ? rawExpr(s.call, s.raw) : callExpr(t, s.call, s.args)
  const events = () => {
    if (s.events === undefined) return
    if (s.events.length > 0)
      lines.push(`    spy.assert_emitted(@array![${s.events.map((e) => eventExpr(t, e)).join(', ')}]);`)
    lines.push(`    assert(spy.get_events().events.len() == ${s.events.length}, 'step ${i} events');`)
  }
  if ('revert' in s.expect) {
    if (s.expect.revert.length > 31) throw new Error('panic string longer than 31 characters')
    lines.push(`    expect_panic(${expr}, '${s.expect.revert}');`)
    events()
    return lines
  }
  const ok = s.expect.ok
  if (Array.isArray(ok))
    lines.push(
      `    assert(${expr}.unwrap() == array![${ok.map((x) => felt(String(x))).join(', ')}].span(), 'step ${i}');`,
    )
  else if (ok === null) lines.push(`    ${expr}.unwrap();`)
  else if (typeof ok === 'boolean') lines.push(`    assert(${expr}.unwrap() == ${ok}, 'step ${i}');`)
  else if (typeof ok === 'string') lines.push(`    assert(${expr}.unwrap() == ${addr(t, ok)}, 'step ${i}');`)
  else if (s.call === 'node_of') {
    const o = ok as Record<string, string | number | boolean>
    lines.push(
      `    let (submitter, active, metadata) = ${expr}.unwrap();`,
      `    assert(submitter == ${addr(t, o.submitter as string)}, 'step ${i} submitter');`,
      `    assert(active == ${o.active === true}, 'step ${i} active');`,
      `    assert(metadata == ${str(String(o.metadata ?? ''))}, 'step ${i} metadata');`,
    )
  } else {
    const o = ok as Record<string, string | number>
    lines.push(
      `    let (log_id, tree_size, height, timestamp, submitter) = ${expr}.unwrap();`,
      `    assert(log_id == ${u256(o.log_id!)}, 'step ${i} log_id');`,
      `    assert(tree_size == ${BigInt(o.tree_size!)}, 'step ${i} tree_size');`,
      `    assert(height == ${BigInt(o.height!)}, 'step ${i} height');`,
      `    assert(timestamp == ${BigInt(o.timestamp!)}, 'step ${i} timestamp');`,
      `    assert(submitter == ${addr(t, o.submitter!)}, 'step ${i} submitter');`,
    )
  }
  events()
  return lines
}

/** The snforge test file for `table`. */
export function generateCairoTests(table: CaseTable): string {
  const head = `// GENERATED from contracts/starknet/anchor-cases.json by generate-cairo-tests.ts — do not edit.
// The same cases run against the TypeScript model in anchor-model.test.ts.
use mero_anchor::{IMeroAnchorSafeDispatcher, IMeroAnchorSafeDispatcherTrait, MeroAnchor};
use snforge_std::{
    ContractClassTrait, DeclareResultTrait, EventSpyAssertionsTrait, EventSpyTrait, declare, spy_events,
    start_cheat_block_number, start_cheat_block_timestamp, start_cheat_caller_address,
};
use starknet::ContractAddress;
use starknet::syscalls::call_contract_syscall;

fn addr(v: felt252) -> ContractAddress {
    v.try_into().unwrap()
}

fn deploy(owner: ContractAddress) -> ContractAddress {
    let class = declare("MeroAnchor").unwrap().contract_class();
    let (address, _) = class.deploy(@array![owner.into()]).unwrap();
    address
}

fn expect_panic<T, +Drop<T>>(r: Result<T, Array<felt252>>, reason: felt252) {
    match r {
        Result::Ok(_) => panic!("expected a panic"),
        Result::Err(data) => assert(*data.at(0) == reason, 'unexpected panic reason'),
    }
}
`
  const cases = table.cases.map((c) => {
    return [
      '',
      '#[test]',
      '#[feature("safe_dispatcher")]',
      `fn ${c.name}() {`,
      `    let contract = deploy(${addr(table, 'owner')});`,
      '    let safe = IMeroAnchorSafeDispatcher { contract_address: contract };',
      ...c.steps.flatMap((s, i) => stepLines(table, s, i)),
      '}',
    ].join('\n')
  })
  return `${head}${cases.join('\n')}\n`
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = generateCairoTests(loadAnchorCases())
  let old = ''
  try {
    old = readFileSync(CAIRO_TESTS_FILE, 'utf8')
  } catch {}
  if (old !== text) writeFileSync(CAIRO_TESTS_FILE, text)
  process.stdout.write(`${CAIRO_TESTS_FILE} ${old === text ? 'unchanged' : 'written'}\n`)
}
