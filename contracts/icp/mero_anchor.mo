// mero anchor registry for the Internet Computer (DESIGN §7), classical persistence (stable vars).
//
// anchor(log_id, tree_size, root)  registered submitters only; first write wins.
// anchor_of(root)                  query; the record or null; timestamp in ns (ic0.time of the call).
// register_node / revoke_node      controller only (the installer, or the `owner` init argument).
// is_node / node_of / is_submitter / owner  queries.
//
// `height` is the registry's own anchor sequence number (1, 2, ...): a canister cannot see the
// subnet's block height, and a certified reply is final, so the sequence orders anchors the way a
// block height does elsewhere. Errors are traps (the message's changes roll back) with a fixed text.
import Blob "mo:base/Blob";
import Int "mo:base/Int";
import Nat64 "mo:base/Nat64";
import Option "mo:base/Option";
import Principal "mo:base/Principal";
import Time "mo:base/Time";
import Trie "mo:base/Trie";
import Debug "mo:base/Debug";

shared (install) actor class MeroAnchor(owner_arg : ?Principal) {
  public type Anchor = {
    log_id : Blob;
    tree_size : Nat64;
    height : Nat64;
    timestamp : Nat64;
    submitter : Principal;
  };
  public type Node = { submitter : Principal; metadata : Text; active : Bool };

  stable var controller : Principal = Option.get(owner_arg, install.caller);
  stable var anchors : Trie.Trie<Blob, Anchor> = Trie.empty();
  stable var nodes : Trie.Trie<Blob, Node> = Trie.empty();
  stable var submitters : Trie.Trie<Principal, Nat> = Trie.empty();
  stable var anchorCount : Nat64 = 0;

  func bkey(b : Blob) : Trie.Key<Blob> = { key = b; hash = Blob.hash(b) };
  func pkey(p : Principal) : Trie.Key<Principal> = { key = p; hash = Principal.hash(p) };

  func check32(b : Blob, what : Text) {
    if (b.size() != 32) Debug.trap(what # " must be 32 bytes");
  };
  func onlyController(caller : Principal) {
    if (caller != controller) Debug.trap("caller is not the controller");
  };
  func submitterCount(p : Principal) : Nat = Option.get(Trie.get(submitters, pkey(p), Principal.equal), 0);
  func setSubmitterCount(p : Principal, n : Nat) {
    if (n == 0) { submitters := Trie.remove(submitters, pkey(p), Principal.equal).0 } else {
      submitters := Trie.put(submitters, pkey(p), Principal.equal, n).0;
    };
  };

  public shared ({ caller }) func anchor(log_id : Blob, tree_size : Nat64, root : Blob) : async () {
    check32(log_id, "log_id");
    check32(root, "root");
    if (tree_size == 0) Debug.trap("tree_size must be positive");
    if (submitterCount(caller) == 0) Debug.trap("not a registered submitter");
    switch (Trie.get(anchors, bkey(root), Blob.equal)) {
      case (?_) Debug.trap("already anchored");
      case null {};
    };
    anchorCount += 1;
    let a : Anchor = {
      log_id;
      tree_size;
      height = anchorCount;
      timestamp = Nat64.fromNat(Int.abs(Time.now()));
      submitter = caller;
    };
    anchors := Trie.put(anchors, bkey(root), Blob.equal, a).0;
  };

  public query func anchor_of(root : Blob) : async ?Anchor {
    Trie.get(anchors, bkey(root), Blob.equal);
  };

  public shared ({ caller }) func register_node(node_key : Blob, submitter : Principal, metadata : Text) : async () {
    onlyController(caller);
    check32(node_key, "node_key");
    switch (Trie.get(nodes, bkey(node_key), Blob.equal)) {
      case (?n) { if (n.active) setSubmitterCount(n.submitter, submitterCount(n.submitter) - 1 : Nat) };
      case null {};
    };
    nodes := Trie.put(nodes, bkey(node_key), Blob.equal, { submitter; metadata; active = true }).0;
    setSubmitterCount(submitter, submitterCount(submitter) + 1);
  };

  public shared ({ caller }) func revoke_node(node_key : Blob) : async () {
    onlyController(caller);
    check32(node_key, "node_key");
    switch (Trie.get(nodes, bkey(node_key), Blob.equal)) {
      case (?n) {
        if (n.active) {
          setSubmitterCount(n.submitter, submitterCount(n.submitter) - 1 : Nat);
          nodes := Trie.put(nodes, bkey(node_key), Blob.equal, { n with active = false }).0;
        };
      };
      case null {};
    };
  };

  public query func is_node(node_key : Blob) : async Bool {
    switch (Trie.get(nodes, bkey(node_key), Blob.equal)) {
      case (?n) n.active;
      case null false;
    };
  };

  public query func node_of(node_key : Blob) : async ?Node {
    Trie.get(nodes, bkey(node_key), Blob.equal);
  };

  public query func is_submitter(p : Principal) : async Bool { submitterCount(p) > 0 };

  public query func owner() : async Principal { controller };

  public query func anchor_count() : async Nat64 { anchorCount };
};
