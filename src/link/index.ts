export {
  LinkError,
  type LinkedObject,
  type LinkGraph,
  type LinkOptions,
  LinkSession,
  type ObjectInfo,
  type ObjectKind,
} from "./graph.js";
export {
  CacheFlag,
  CacheIndex,
  type CacheLookupOptions,
  cacheLibcmp,
  DL_CACHE_HWCAP_EXTENSION,
  describeCacheFlags,
  isHwcapExtension,
  type LdCache,
  type LdCacheEntry,
  parseLdCache,
} from "./ld-cache.js";
export { glob, type LdConf, readLdConf } from "./ld-conf.js";
export type { LinkFs } from "./link-fs.js";
export { detectX86Level, type LinkProfile, profileFor, x86HwcapsFor } from "./profile.js";
export {
  type Attempt,
  decomposePath,
  expandDst,
  type FoundVia,
  muslSystemPath,
  originOf,
  type SearchContext,
  type SearchObject,
  type SearchResult,
  searchLibrary,
  type VerifyResult,
} from "./search.js";
