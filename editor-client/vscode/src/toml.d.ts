/** TOML files imported by the bundle (build.mjs turns them into their parsed data). */
declare module '*.toml' {
  const data: Record<string, unknown>;
  export default data;
}
