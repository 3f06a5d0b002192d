/** Base64 of bytes and back (records' pixels for the studio's pages): plain JS, no Deno API. */

/** Base64 of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

/** The bytes of base64 `text`. */
export function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}
