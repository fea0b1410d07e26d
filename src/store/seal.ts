/** The store's field encryption: the one implementation lives in src/domain/seal.ts (the web page uses it too). */
export { aesSealer, parseKey, plainSealer, type SealContext, type Sealer } from '../domain/seal.ts';
