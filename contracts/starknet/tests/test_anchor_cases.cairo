// GENERATED from contracts/starknet/anchor-cases.json by generate-cairo-tests.ts — do not edit.
// The same cases run against the TypeScript model in anchor-model.test.ts.
use mero_anchor::{IMeroAnchorSafeDispatcher, IMeroAnchorSafeDispatcherTrait};
use snforge_std::{
    ContractClassTrait, DeclareResultTrait, declare, start_cheat_block_number,
    start_cheat_block_timestamp, start_cheat_caller_address,
};
use starknet::ContractAddress;

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
    safe.register_node(0xaa_u256, addr(0x2002), "node a").unwrap();
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
    safe.anchor(0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855_u256, 42, 0xffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100_u256).unwrap();
    // step 5: bob calls anchor_of
    start_cheat_caller_address(contract, addr(0x3003));
    let (log_id, tree_size, height, timestamp, submitter) = safe.anchor_of(0xffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100_u256).unwrap();
    assert(log_id == 0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855_u256, 'step 5 log_id');
    assert(tree_size == 42, 'step 5 tree_size');
    assert(height == 7, 'step 5 height');
    assert(timestamp == 1763900000, 'step 5 timestamp');
    assert(submitter == addr(0x2002), 'step 5 submitter');
    // step 6: alice calls anchor
    start_cheat_caller_address(contract, addr(0x2002));
    expect_panic(safe.anchor(0x1_u256, 43, 0xffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100_u256), 'ALREADY_ANCHORED');
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
    safe.revoke_node(0xaa_u256).unwrap();
    // step 3: bob calls is_node
    start_cheat_caller_address(contract, addr(0x3003));
    assert(safe.is_node(0xaa_u256).unwrap() == false, 'step 3');
    // step 4: bob calls is_submitter
    start_cheat_caller_address(contract, addr(0x3003));
    assert(safe.is_submitter(addr(0x2002)).unwrap() == true, 'step 4');
    // step 5: owner calls revoke_node
    start_cheat_caller_address(contract, addr(0x1001));
    expect_panic(safe.revoke_node(0xaa_u256), 'UNKNOWN_NODE');
    // step 6: owner calls revoke_node
    start_cheat_caller_address(contract, addr(0x1001));
    safe.revoke_node(0xbb_u256).unwrap();
    // step 7: bob calls is_submitter
    start_cheat_caller_address(contract, addr(0x3003));
    assert(safe.is_submitter(addr(0x2002)).unwrap() == false, 'step 7');
    // step 8: alice calls anchor
    start_cheat_caller_address(contract, addr(0x2002));
    expect_panic(safe.anchor(0x11_u256, 1, 0x22_u256), 'NOT_SUBMITTER');
    // step 9: owner calls revoke_node
    start_cheat_caller_address(contract, addr(0x1001));
    expect_panic(safe.revoke_node(0xcc_u256), 'UNKNOWN_NODE');
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
