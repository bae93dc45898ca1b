// GENERATED from contracts/starknet/anchor-cases.json by generate-cairo-tests.ts — do not edit.
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

#[test]
#[feature("safe_dispatcher")]
fn owner_is_constructor_argument() {
    let contract = deploy(addr(0x1001));
    let safe = IMeroAnchorSafeDispatcher { contract_address: contract };
    // step 0: bob calls owner
    start_cheat_caller_address(contract, addr(0x3003));
    assert(safe.owner().unwrap() == addr(0x1001), 'step 0');
}

#[test]
#[feature("safe_dispatcher")]
fn unknown_root_has_zero_tree_size() {
    let contract = deploy(addr(0x1001));
    let safe = IMeroAnchorSafeDispatcher { contract_address: contract };
    // step 0: bob calls anchor_of
    start_cheat_caller_address(contract, addr(0x3003));
    let (log_id, tree_size, height, timestamp, submitter) = safe.anchor_of(0xabc_u256).unwrap();
    assert(log_id == 0x0_u256, 'step 0 log_id');
    assert(tree_size == 0, 'step 0 tree_size');
    assert(height == 0, 'step 0 height');
    assert(timestamp == 0, 'step 0 timestamp');
    assert(submitter == addr(0x0), 'step 0 submitter');
}

#[test]
#[feature("safe_dispatcher")]
fn unregistered_account_cannot_anchor() {
    let contract = deploy(addr(0x1001));
    let safe = IMeroAnchorSafeDispatcher { contract_address: contract };
    // step 0: alice calls anchor
    start_cheat_caller_address(contract, addr(0x2002));
    expect_panic(safe.anchor(0x11_u256, 3, 0x22_u256), 'NOT_SUBMITTER');
    // step 1: owner calls anchor
    start_cheat_caller_address(contract, addr(0x1001));
    expect_panic(safe.anchor(0x11_u256, 3, 0x22_u256), 'NOT_SUBMITTER');
}

#[test]
#[feature("safe_dispatcher")]
fn registered_submitter_anchors_first_write_wins() {
    let contract = deploy(addr(0x1001));
    let safe = IMeroAnchorSafeDispatcher { contract_address: contract };
    // step 0: owner calls register_node
    start_cheat_caller_address(contract, addr(0x1001));
    let mut spy = spy_events();
    safe.register_node(0xaa_u256, addr(0x2002), "node a").unwrap();
    spy.assert_emitted(@array![(contract, MeroAnchor::Event::NodeRegistered(MeroAnchor::NodeRegistered { node_key: 0xaa_u256, submitter: addr(0x2002), metadata: "node a" }))]);
    assert(spy.get_events().events.len() == 1, 'step 0 events');
    // step 1: bob calls is_node
    start_cheat_caller_address(contract, addr(0x3003));
    assert(safe.is_node(0xaa_u256).unwrap() == true, 'step 1');
    // step 2: bob calls is_submitter
    start_cheat_caller_address(contract, addr(0x3003));
    assert(safe.is_submitter(addr(0x2002)).unwrap() == true, 'step 2');
    start_cheat_block_number(contract, 7);
    start_cheat_block_timestamp(contract, 1763900000);
    // step 4: alice calls anchor
    start_cheat_caller_address(contract, addr(0x2002));
    let mut spy = spy_events();
    safe.anchor(0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855_u256, 42, 0xffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100_u256).unwrap();
    spy.assert_emitted(@array![(contract, MeroAnchor::Event::Anchored(MeroAnchor::Anchored { log_id: 0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855_u256, root: 0xffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100_u256, tree_size: 42, submitter: addr(0x2002) }))]);
    assert(spy.get_events().events.len() == 1, 'step 4 events');
    // step 5: bob calls anchor_of
    start_cheat_caller_address(contract, addr(0x3003));
    let mut spy = spy_events();
    let (log_id, tree_size, height, timestamp, submitter) = safe.anchor_of(0xffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100_u256).unwrap();
    assert(log_id == 0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855_u256, 'step 5 log_id');
    assert(tree_size == 42, 'step 5 tree_size');
    assert(height == 7, 'step 5 height');
    assert(timestamp == 1763900000, 'step 5 timestamp');
    assert(submitter == addr(0x2002), 'step 5 submitter');
    assert(spy.get_events().events.len() == 0, 'step 5 events');
    // step 6: alice calls anchor
    start_cheat_caller_address(contract, addr(0x2002));
    let mut spy = spy_events();
    expect_panic(safe.anchor(0x1_u256, 43, 0xffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100_u256), 'ALREADY_ANCHORED');
    assert(spy.get_events().events.len() == 0, 'step 6 events');
}

#[test]
#[feature("safe_dispatcher")]
fn anchor_checks_inputs() {
    let contract = deploy(addr(0x1001));
    let safe = IMeroAnchorSafeDispatcher { contract_address: contract };
    // step 0: owner calls register_node
    start_cheat_caller_address(contract, addr(0x1001));
    safe.register_node(0xaa_u256, addr(0x2002), "").unwrap();
    // step 1: alice calls anchor
    start_cheat_caller_address(contract, addr(0x2002));
    expect_panic(safe.anchor(0x11_u256, 0, 0x22_u256), 'INVALID_TREE_SIZE');
    // step 2: alice calls anchor
    start_cheat_caller_address(contract, addr(0x2002));
    expect_panic(safe.anchor(0x11_u256, 1, 0x0_u256), 'INVALID_ROOT');
    // step 3: alice calls anchor
    start_cheat_caller_address(contract, addr(0x2002));
    expect_panic(safe.anchor(0x0_u256, 1, 0x22_u256), 'INVALID_ROOT');
    // step 4: bob calls anchor_of
    start_cheat_caller_address(contract, addr(0x3003));
    let (log_id, tree_size, height, timestamp, submitter) = safe.anchor_of(0x22_u256).unwrap();
    assert(log_id == 0x0_u256, 'step 4 log_id');
    assert(tree_size == 0, 'step 4 tree_size');
    assert(height == 0, 'step 4 height');
    assert(timestamp == 0, 'step 4 timestamp');
    assert(submitter == addr(0x0), 'step 4 submitter');
}

#[test]
#[feature("safe_dispatcher")]
fn only_owner_changes_the_registry() {
    let contract = deploy(addr(0x1001));
    let safe = IMeroAnchorSafeDispatcher { contract_address: contract };
    // step 0: alice calls register_node
    start_cheat_caller_address(contract, addr(0x2002));
    expect_panic(safe.register_node(0xaa_u256, addr(0x2002), "x"), 'NOT_OWNER');
    // step 1: owner calls register_node
    start_cheat_caller_address(contract, addr(0x1001));
    expect_panic(safe.register_node(0xaa_u256, addr(0x0), "x"), 'INVALID_SUBMITTER');
    // step 2: owner calls register_node
    start_cheat_caller_address(contract, addr(0x1001));
    safe.register_node(0xaa_u256, addr(0x2002), "x").unwrap();
    // step 3: alice calls revoke_node
    start_cheat_caller_address(contract, addr(0x2002));
    expect_panic(safe.revoke_node(0xaa_u256), 'NOT_OWNER');
    // step 4: bob calls is_node
    start_cheat_caller_address(contract, addr(0x3003));
    assert(safe.is_node(0xaa_u256).unwrap() == true, 'step 4');
}

#[test]
#[feature("safe_dispatcher")]
fn revoke_ends_submitting_and_is_not_repeatable() {
    let contract = deploy(addr(0x1001));
    let safe = IMeroAnchorSafeDispatcher { contract_address: contract };
    // step 0: owner calls register_node
    start_cheat_caller_address(contract, addr(0x1001));
    safe.register_node(0xaa_u256, addr(0x2002), "a").unwrap();
    // step 1: owner calls register_node
    start_cheat_caller_address(contract, addr(0x1001));
    safe.register_node(0xbb_u256, addr(0x2002), "b").unwrap();
    // step 2: owner calls revoke_node
    start_cheat_caller_address(contract, addr(0x1001));
    let mut spy = spy_events();
    safe.revoke_node(0xaa_u256).unwrap();
    spy.assert_emitted(@array![(contract, MeroAnchor::Event::NodeRevoked(MeroAnchor::NodeRevoked { node_key: 0xaa_u256, submitter: addr(0x2002) }))]);
    assert(spy.get_events().events.len() == 1, 'step 2 events');
    // step 3: bob calls node_of
    start_cheat_caller_address(contract, addr(0x3003));
    let (submitter, active, metadata) = safe.node_of(0xaa_u256).unwrap();
    assert(submitter == addr(0x2002), 'step 3 submitter');
    assert(active == false, 'step 3 active');
    assert(metadata == "a", 'step 3 metadata');
    // step 4: bob calls is_node
    start_cheat_caller_address(contract, addr(0x3003));
    assert(safe.is_node(0xaa_u256).unwrap() == false, 'step 4');
    // step 5: bob calls is_submitter
    start_cheat_caller_address(contract, addr(0x3003));
    assert(safe.is_submitter(addr(0x2002)).unwrap() == true, 'step 5');
    // step 6: owner calls revoke_node
    start_cheat_caller_address(contract, addr(0x1001));
    let mut spy = spy_events();
    expect_panic(safe.revoke_node(0xaa_u256), 'UNKNOWN_NODE');
    assert(spy.get_events().events.len() == 0, 'step 6 events');
    // step 7: owner calls revoke_node
    start_cheat_caller_address(contract, addr(0x1001));
    safe.revoke_node(0xbb_u256).unwrap();
    // step 8: bob calls is_submitter
    start_cheat_caller_address(contract, addr(0x3003));
    assert(safe.is_submitter(addr(0x2002)).unwrap() == false, 'step 8');
    // step 9: alice calls anchor
    start_cheat_caller_address(contract, addr(0x2002));
    expect_panic(safe.anchor(0x11_u256, 1, 0x22_u256), 'NOT_SUBMITTER');
    // step 10: owner calls revoke_node
    start_cheat_caller_address(contract, addr(0x1001));
    let mut spy = spy_events();
    expect_panic(safe.revoke_node(0xcc_u256), 'UNKNOWN_NODE');
    assert(spy.get_events().events.len() == 0, 'step 10 events');
}

#[test]
#[feature("safe_dispatcher")]
fn re_registering_moves_the_submitter() {
    let contract = deploy(addr(0x1001));
    let safe = IMeroAnchorSafeDispatcher { contract_address: contract };
    // step 0: owner calls register_node
    start_cheat_caller_address(contract, addr(0x1001));
    safe.register_node(0xaa_u256, addr(0x2002), "a").unwrap();
    // step 1: owner calls register_node
    start_cheat_caller_address(contract, addr(0x1001));
    safe.register_node(0xaa_u256, addr(0x3003), "a longer metadata string of more than thirty-one bytes").unwrap();
    // step 2: bob calls is_submitter
    start_cheat_caller_address(contract, addr(0x3003));
    assert(safe.is_submitter(addr(0x2002)).unwrap() == false, 'step 2');
    // step 3: bob calls is_submitter
    start_cheat_caller_address(contract, addr(0x3003));
    assert(safe.is_submitter(addr(0x3003)).unwrap() == true, 'step 3');
    // step 4: bob calls anchor
    start_cheat_caller_address(contract, addr(0x3003));
    safe.anchor(0x11_u256, 1, 0x22_u256).unwrap();
    // step 5: alice calls anchor
    start_cheat_caller_address(contract, addr(0x2002));
    expect_panic(safe.anchor(0x11_u256, 2, 0x33_u256), 'NOT_SUBMITTER');
}

#[test]
#[feature("safe_dispatcher")]
fn tree_size_is_a_full_u64() {
    let contract = deploy(addr(0x1001));
    let safe = IMeroAnchorSafeDispatcher { contract_address: contract };
    // step 0: owner calls register_node
    start_cheat_caller_address(contract, addr(0x1001));
    safe.register_node(0xaa_u256, addr(0x2002), "").unwrap();
    // step 1: alice calls anchor
    start_cheat_caller_address(contract, addr(0x2002));
    let mut spy = spy_events();
    safe.anchor(0x1_u256, 18446744073709551615, 0x2_u256).unwrap();
    spy.assert_emitted(@array![(contract, MeroAnchor::Event::Anchored(MeroAnchor::Anchored { log_id: 0x1_u256, root: 0x2_u256, tree_size: 18446744073709551615, submitter: addr(0x2002) }))]);
    assert(spy.get_events().events.len() == 1, 'step 1 events');
    // step 2: bob calls anchor_of
    start_cheat_caller_address(contract, addr(0x3003));
    let (log_id, tree_size, height, timestamp, submitter) = safe.anchor_of(0x2_u256).unwrap();
    assert(log_id == 0x1_u256, 'step 2 log_id');
    assert(tree_size == 18446744073709551615, 'step 2 tree_size');
    assert(height == 0, 'step 2 height');
    assert(timestamp == 0, 'step 2 timestamp');
    assert(submitter == addr(0x2002), 'step 2 submitter');
    // step 3: alice calls anchor
    start_cheat_caller_address(contract, addr(0x2002));
    let mut spy = spy_events();
    expect_panic(call_contract_syscall(contract, selector!("anchor"), array![0x1, 0x0, 0x10000000000000000, 0x3, 0x0].span()), 'Failed to deserialize param #2');
    assert(spy.get_events().events.len() == 0, 'step 3 events');
    // step 4: alice calls anchor
    start_cheat_caller_address(contract, addr(0x2002));
    expect_panic(call_contract_syscall(contract, selector!("anchor"), array![0x1, 0x0, 0x5, 0x3].span()), 'Failed to deserialize param #3');
    // step 5: alice calls anchor
    start_cheat_caller_address(contract, addr(0x2002));
    expect_panic(call_contract_syscall(contract, selector!("anchor"), array![0x1, 0x0, 0x5, 0x3, 0x0, 0x0].span()), 'Input too long for arguments');
}

#[test]
#[feature("safe_dispatcher")]
fn addresses_are_below_2_251() {
    let contract = deploy(addr(0x1001));
    let safe = IMeroAnchorSafeDispatcher { contract_address: contract };
    // step 0: owner calls register_node
    start_cheat_caller_address(contract, addr(0x1001));
    expect_panic(call_contract_syscall(contract, selector!("register_node"), array![0xaa, 0x0, 0x800000000000000000000000000000000000000000000000000000000000000, 0x0, 0x0, 0x0].span()), 'Failed to deserialize param #2');
    // step 1: bob calls is_submitter
    start_cheat_caller_address(contract, addr(0x3003));
    expect_panic(call_contract_syscall(contract, selector!("is_submitter"), array![0x800000000000000000000000000000000000000000000000000000000000000].span()), 'Failed to deserialize param #1');
    // step 2: bob calls is_submitter
    start_cheat_caller_address(contract, addr(0x3003));
    assert(call_contract_syscall(contract, selector!("is_submitter"), array![0x7ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff].span()).unwrap() == array![0x0].span(), 'step 2');
}

#[test]
#[feature("safe_dispatcher")]
fn metadata_must_be_a_canonical_byte_array() {
    let contract = deploy(addr(0x1001));
    let safe = IMeroAnchorSafeDispatcher { contract_address: contract };
    // step 0: owner calls register_node
    start_cheat_caller_address(contract, addr(0x1001));
    expect_panic(call_contract_syscall(contract, selector!("register_node"), array![0xaa, 0x0, 0x2002, 0x0, 0x41, 0x1f].span()), 'INVALID_METADATA');
    // step 1: owner calls register_node
    start_cheat_caller_address(contract, addr(0x1001));
    expect_panic(call_contract_syscall(contract, selector!("register_node"), array![0xaa, 0x0, 0x2002, 0x0, 0x4142, 0x1].span()), 'INVALID_METADATA');
    // step 2: owner calls register_node
    start_cheat_caller_address(contract, addr(0x1001));
    expect_panic(call_contract_syscall(contract, selector!("register_node"), array![0xaa, 0x0, 0x2002, 0x0, 0x41, 0x100000000].span()), 'Failed to deserialize param #3');
    // step 3: owner calls register_node
    start_cheat_caller_address(contract, addr(0x1001));
    expect_panic(call_contract_syscall(contract, selector!("register_node"), array![0xaa, 0x0, 0x2002, 0x1, 0x100000000000000000000000000000000000000000000000000000000000000, 0x0, 0x0].span()), 'Failed to deserialize param #3');
    // step 4: owner calls register_node
    start_cheat_caller_address(contract, addr(0x1001));
    expect_panic(call_contract_syscall(contract, selector!("register_node"), array![0xaa, 0x0, 0x2002, 0x5, 0x0, 0x0].span()), 'Failed to deserialize param #3');
    // step 5: alice calls register_node
    start_cheat_caller_address(contract, addr(0x2002));
    expect_panic(call_contract_syscall(contract, selector!("register_node"), array![0xaa, 0x0, 0x2002, 0x0, 0x41, 0x1f].span()), 'NOT_OWNER');
    // step 6: owner calls register_node
    start_cheat_caller_address(contract, addr(0x1001));
    let mut spy = spy_events();
    assert(call_contract_syscall(contract, selector!("register_node"), array![0xaa, 0x0, 0x2002, 0x0, 0x41, 0x1].span()).unwrap() == array![].span(), 'step 6');
    spy.assert_emitted(@array![(contract, MeroAnchor::Event::NodeRegistered(MeroAnchor::NodeRegistered { node_key: 0xaa_u256, submitter: addr(0x2002), metadata: "A" }))]);
    assert(spy.get_events().events.len() == 1, 'step 6 events');
    // step 7: bob calls node_of
    start_cheat_caller_address(contract, addr(0x3003));
    let (submitter, active, metadata) = safe.node_of(0xaa_u256).unwrap();
    assert(submitter == addr(0x2002), 'step 7 submitter');
    assert(active == true, 'step 7 active');
    assert(metadata == "A", 'step 7 metadata');
}

#[test]
#[feature("safe_dispatcher")]
fn node_of_reports_submitter_state_and_metadata() {
    let contract = deploy(addr(0x1001));
    let safe = IMeroAnchorSafeDispatcher { contract_address: contract };
    // step 0: bob calls node_of
    start_cheat_caller_address(contract, addr(0x3003));
    let (submitter, active, metadata) = safe.node_of(0xaa_u256).unwrap();
    assert(submitter == addr(0x0), 'step 0 submitter');
    assert(active == false, 'step 0 active');
    assert(metadata == "", 'step 0 metadata');
    // step 1: owner calls register_node
    start_cheat_caller_address(contract, addr(0x1001));
    let mut spy = spy_events();
    safe.register_node(0xaa_u256, addr(0x2002), "a node with a name longer than thirty-one bytes").unwrap();
    spy.assert_emitted(@array![(contract, MeroAnchor::Event::NodeRegistered(MeroAnchor::NodeRegistered { node_key: 0xaa_u256, submitter: addr(0x2002), metadata: "a node with a name longer than thirty-one bytes" }))]);
    assert(spy.get_events().events.len() == 1, 'step 1 events');
    // step 2: bob calls node_of
    start_cheat_caller_address(contract, addr(0x3003));
    let (submitter, active, metadata) = safe.node_of(0xaa_u256).unwrap();
    assert(submitter == addr(0x2002), 'step 2 submitter');
    assert(active == true, 'step 2 active');
    assert(metadata == "a node with a name longer than thirty-one bytes", 'step 2 metadata');
    // step 3: owner calls register_node
    start_cheat_caller_address(contract, addr(0x1001));
    let mut spy = spy_events();
    safe.register_node(0xaa_u256, addr(0x3003), "moved").unwrap();
    spy.assert_emitted(@array![(contract, MeroAnchor::Event::NodeRegistered(MeroAnchor::NodeRegistered { node_key: 0xaa_u256, submitter: addr(0x3003), metadata: "moved" }))]);
    assert(spy.get_events().events.len() == 1, 'step 3 events');
    // step 4: bob calls node_of
    start_cheat_caller_address(contract, addr(0x3003));
    let (submitter, active, metadata) = safe.node_of(0xaa_u256).unwrap();
    assert(submitter == addr(0x3003), 'step 4 submitter');
    assert(active == true, 'step 4 active');
    assert(metadata == "moved", 'step 4 metadata');
    // step 5: bob calls is_submitter
    start_cheat_caller_address(contract, addr(0x3003));
    assert(safe.is_submitter(addr(0x2002)).unwrap() == false, 'step 5');
}
