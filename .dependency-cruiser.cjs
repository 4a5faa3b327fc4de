/**
 * The packages' boundaries, checked by `npm run lint` (and so by CI): edge/, hub/, dashboard/ and
 * firmware-sim/ meet only on the wire. Each may import protocols/ (every wire format) and kernel/
 * (a small shared kernel that imports nothing of ours), and nothing of another package. site/ is
 * the composition root of the site process (hub + dashboard + OPC UA). Tests, benchmarks and the
 * demo may import anything. No cycles anywhere.
 */
const PACKAGES = ['edge', 'hub', 'dashboard', 'firmware-sim'];
/** A test beside the code it tests. */
const TEST_FILE = '\\.test\\.ts$';

module.exports = {
  forbidden: [
    ...PACKAGES.map((p) => ({
      name: `${p}-meets-others-on-the-wire`,
      comment: `${p}/ may import only itself, protocols/ and kernel/ (README: packages meet only on the wire)`,
      severity: 'error',
      from: { path: `^${p}/`, pathNot: TEST_FILE },
      to: {
        path: '^(edge|hub|dashboard|firmware-sim|site|demo|bench|test)/',
        pathNot: `^${p}/`,
      },
    })),
    ...PACKAGES.map((p) => ({
      name: `${p}-tests-use-only-the-harness`,
      comment: `tests inside ${p}/ may add the test harness (test/), never another package`,
      severity: 'error',
      from: { path: `^${p}/.*${TEST_FILE}` },
      to: {
        path: '^(edge|hub|dashboard|firmware-sim|site|demo|bench)/',
        pathNot: `^${p}/`,
      },
    })),
    {
      name: 'protocols-is-pure',
      comment: 'protocols/ is wire formats only: it imports nothing else of ours',
      severity: 'error',
      from: { path: '^protocols/' },
      to: { path: '^(edge|hub|dashboard|firmware-sim|site|demo|bench|test|kernel)/' },
    },
    {
      name: 'kernel-imports-nothing-of-ours',
      comment: 'kernel/ is shared by every package, so it may depend on none of them',
      severity: 'error',
      from: { path: '^kernel/' },
      to: { path: '^(edge|hub|dashboard|firmware-sim|site|demo|bench|test|protocols)/' },
    },
    {
      name: 'site-is-the-only-composition-root',
      comment: 'only the site process combines hub and dashboard; it is not imported by a package',
      severity: 'error',
      from: { path: '^(edge|hub|dashboard|firmware-sim|protocols|kernel)/' },
      to: { path: '^site/' },
    },
    {
      name: 'no-cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|data|test-results|bench/\\.node-red)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count too: a type from another package is a dependency on its code.
    moduleSystems: ['es6', 'cjs'],
  },
};
