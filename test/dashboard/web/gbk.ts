/**
 * Access-list files as Excel on Chinese Windows saves "CSV (逗号分隔)": GB18030/GBK bytes, no
 * BOM, CRLF, Chinese headers, dates as 2026/1/5. The bytes were made once with Python's
 * `str.encode('gb18030')` (Node encodes only UTF-8) and are kept here as hex, so the test sends
 * exactly what Excel writes, not something our own code produced.
 */

/** 工号,姓名,部门,类型,生效时间,失效时间 — E1..E4 as in the fixture, E5 赵磊 (from 2026/1/5), V2 周芳 (visitor). */
export const GBK_ROSTER = Buffer.from(
  'b9a4bac52cd0d5c3fb2cb2bfc3c52cc0e0d0cd2cc9fad0a7cab1bce42ccaa7d0a7cab1bce40d0a45312cd5c5ceb02cd6cabcecb2bf2cd4b1b9a42c2c0d0a45322cc0eec4c82cd6cabcecb2bf2cd4b1b9a42c2c0d0a45332c416e6e61205363686d6964742c456e67696e656572696e672cd4b1b9a42c2c0d0a45342cc1f5d1f32cb2d6b4a2b2bf2cd4b1b9a42c2c0d0a45352cd5d4c0da2cb2d6b4a2b2bf2cd4b1b9a42c323032362f312f352c0d0a56322cd6dcb7bc2cb7c3bfcd2cb7c3bfcd2c323032362f312f312c323039392f31322f33310d0a',
  'hex',
);

/** The same header, one visitor: V3 孙丽 — a file much smaller than the roster. */
export const GBK_ONE_VISITOR = Buffer.from(
  'b9a4bac52cd0d5c3fb2cb2bfc3c52cc0e0d0cd2cc9fad0a7cab1bce42ccaa7d0a7cab1bce40d0a56332ccbefc0f62cb7c3bfcd2cb7c3bfcd2c323032362f312f312c323039392f31322f33310d0a',
  'hex',
);
