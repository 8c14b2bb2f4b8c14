/** Levenshtein distance (two rows), for "did you mean" hints on misspelt names. */
export function editDistance(a: string, b: string): number {
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why text cannot be stored, or null when it can: PostgreSQL refuses the NUL character in text and JSON, and a
 * lone UTF-16 surrogate (half of a character, `"\ud800"` in JSON) is no character at all.
 */
export function unstorableText(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (LONE_SURROGATE.test(text))
    return 'contains a lone surrogate (half of a UTF-16 pair), which is not text';
  return null;
}

/** Where a value holds text that cannot be stored, or is nested too deep: the path and the problem. */
export interface TextProblem {
  /** `body.tags[1]`, `query.tag`, `body.dispatch.env` (a field name at fault names its object) */
  path: string;
  message: string;
}

/**
 * The first string (value or field name) in a parsed JSON value that cannot be stored, or the first place
 * nested deeper than `maxDepth` arrays and objects; null when there is none. Walks without recursion, so a
 * hostile value cannot exhaust the stack here.
 */
export function findTextProblem(value: unknown, root: string, maxDepth: number): TextProblem | null {
  // paths are built only for the place at fault: each item knows its parent and its key
  interface Item {
    value: unknown;
    parent: Item | null;
    key: string | number;
    depth: number;
  }
  const pathOf = (item: Item): string => {
    const keys: (string | number)[] = [];
    for (let at: Item | null = item; at?.parent; at = at.parent) keys.push(at.key);
    return keys
      .reverse()
      .reduce<string>((p, k) => (typeof k === 'number' ? `${p}[${k}]` : `${p}.${k}`), root);
  };
  const stack: Item[] = [{ value, parent: null, key: root, depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop() as Item;
    const v = item.value;
    if (typeof v === 'string') {
      const problem = unstorableText(v);
      if (problem) return { path: pathOf(item), message: problem };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (item.depth >= maxDepth)
      return { path: pathOf(item), message: `nested more than ${maxDepth} levels deep` };
    const depth = item.depth + 1;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], parent: item, key: i, depth });
      continue;
    }
    const keys = Object.keys(v);
    for (const key of keys) {
      const problem = unstorableText(key);
      if (problem) return { path: pathOf(item), message: `a field name ${problem}` };
    }
    for (let i = keys.length - 1; i >= 0; i--)
      stack.push({ value: (v as Record<string, unknown>)[keys[i]], parent: item, key: keys[i], depth });
  }
  return null;
}
