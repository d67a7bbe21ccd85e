/** JSON Schema patterns have no flags, so a case-insensitive regex spells each letter in both cases. */
export function jsonSchemaPattern(regex: RegExp): string {
  const unsupported = regex.flags.replace(/[iu]/g, '');
  if (unsupported) throw new Error(`A pattern cannot say the flags "${unsupported}" of ${String(regex)}`);
  if (!regex.ignoreCase) return regex.source;
  let pattern = '';
  let inClass = false;
  let added = '';
  const source = regex.source;
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === '\\') {
      pattern += source.slice(i, i + 2);
      i++;
    } else if (inClass) {
      if (char === ']') {
        pattern += `${added}]`;
        inClass = false;
        continue;
      }
      pattern += char;
      const range = source.slice(i, i + 3);
      if (/^[a-z]-[a-z]$/i.test(range)) {
        added += swapCase(range);
        pattern += range.slice(1);
        i += 2;
      } else if (/[a-z]/i.test(char)) {
        added += swapCase(char);
      }
    } else if (char === '[') {
      pattern += char;
      inClass = true;
      added = '';
    } else if (/[a-z]/i.test(char)) {
      pattern += `[${char}${swapCase(char)}]`;
    } else {
      pattern += char;
    }
  }
  return pattern;
}

/** Without the `^…$` anchors, for composing into a larger pattern. */
export function unanchored(pattern: string): string {
  return pattern.replace(/^\^/, '').replace(/\$$/, '');
}

function swapCase(text: string): string {
  return [...text].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join('');
}
