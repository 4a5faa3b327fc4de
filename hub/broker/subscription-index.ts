/**
 * Persistent subscriptions with QoS > 0, indexed by topic level so that finding who must get a
 * QoS 1 message queued is a walk down a tree rather than a scan of every subscription.
 */
export interface IndexedSub {
  clientId: string;
  topic: string;
  qos: number;
  rh?: number | undefined;
  rap?: boolean | undefined;
  nl?: boolean | undefined;
}

class Node {
  readonly children = new Map<string, Node>();
  /** clientId → subscription ending at this node. */
  readonly subs = new Map<string, IndexedSub>();
}

export class SubscriptionIndex {
  private readonly root = new Node();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(sub: IndexedSub): void {
    let node = this.root;
    for (const level of sub.topic.split('/')) {
      let next = node.children.get(level);
      if (!next) {
        next = new Node();
        node.children.set(level, next);
      }
      node = next;
    }
    if (!node.subs.has(sub.clientId)) this.count++;
    node.subs.set(sub.clientId, sub);
  }

  remove(clientId: string, topic: string): void {
    const path: Array<[Node, string]> = [];
    let node: Node | undefined = this.root;
    for (const level of topic.split('/')) {
      const next: Node | undefined = node.children.get(level);
      if (!next) return;
      path.push([node, level]);
      node = next;
    }
    if (node.subs.delete(clientId)) this.count--;
    // Prune empty branches so the tree does not keep every topic ever subscribed.
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, level] = path[i] as [Node, string];
      const child = parent.children.get(level) as Node;
      if (child.subs.size > 0 || child.children.size > 0) break;
      parent.children.delete(level);
    }
  }

  /** Subscriptions matching a concrete topic; `#` also matches its parent level (`a/#` matches `a`). */
  match(topic: string): IndexedSub[] {
    const levels = topic.split('/');
    const out: IndexedSub[] = [];
    const dollar = topic.startsWith('$');
    const walk = (node: Node, i: number): void => {
      const wildcardsAllowed = !(dollar && i === 0);
      const hash = wildcardsAllowed ? node.children.get('#') : undefined;
      if (hash) for (const s of hash.subs.values()) out.push(s);
      if (i === levels.length) {
        for (const s of node.subs.values()) out.push(s);
        return;
      }
      const exact = node.children.get(levels[i] as string);
      if (exact) walk(exact, i + 1);
      const plus = wildcardsAllowed ? node.children.get('+') : undefined;
      if (plus) walk(plus, i + 1);
    };
    walk(this.root, 0);
    return out;
  }
}
