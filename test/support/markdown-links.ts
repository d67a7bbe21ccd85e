import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Folders that are not the project's own text: dependencies, builds, git's store. */
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'coverage', '.git']);

/** Every file below `root` outside the skipped folders, as paths relative to `root`, sorted. */
export function repositoryFiles(root: string, folder = root): string[] {
  return readdirSync(folder, { withFileTypes: true })
    .flatMap((entry) => {
      if (entry.isDirectory()) {
        return SKIPPED_FOLDERS.has(entry.name) ? [] : repositoryFiles(root, join(folder, entry.name));
      }
      return entry.isFile() && entry.name !== '.git'
        ? [relative(root, join(folder, entry.name)).split(sep).join('/')]
        : [];
    })
    .sort();
}

/** The text without its fenced code blocks (blank lines in their place, so line numbers hold). */
function withoutFences(markdown: string): string {
  let fence: string | undefined;
  return markdown
    .split('\n')
    .map((line) => {
      const opening = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (fence === undefined && opening) {
        fence = opening;
        return '';
      }
      if (fence === undefined) return line;
      if (line.trim().startsWith(fence)) fence = undefined;
      return '';
    })
    .join('\n');
}

/**
 * The text as a reader of the rendered page sees its links: code blocks and inline code spans
 * blanked out (a URL in a command is not a link), line breaks kept for line numbers.
 */
function withoutCode(markdown: string): string {
  return withoutFences(markdown).replace(/(`+)(?:(?!\1)[^])+?\1/g, (span) => span.replace(/[^\n]/g, ' '));
}

export interface Link {
  target: string;
  line: number;
}

/** Inline links and images, reference definitions, autolinks and bare URLs, outside code. */
export function linksIn(markdown: string): Link[] {
  const prose = withoutCode(markdown);
  const lineOf = (index: number) => prose.slice(0, index).split('\n').length;
  const links: Link[] = [];
  const patterns = [
    /!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g,
    /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm,
    /<([a-z][a-z0-9+.-]*:[^\s>]+)>/gi,
  ];
  for (const pattern of patterns) {
    for (const match of prose.matchAll(pattern)) links.push({ target: match[1], line: lineOf(match.index) });
  }
  // GitHub links a bare URL too; one inside a link's brackets or parentheses is already counted.
  const bare = prose.replace(/\]\([^)]*\)|<[^>]*>/g, (text) => ' '.repeat(text.length));
  for (const match of bare.matchAll(/\b(?:https?|ftp):\/\/[^\s)<>]+/g)) {
    links.push({ target: match[0], line: lineOf(match.index) });
  }
  return links.sort((a, b) => a.line - b.line);
}

/** The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(markdown).split('\n')) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const text = heading
      .replace(/`/g, '')
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\*+/g, '');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/**
 * What is wrong with the links of `file` (relative to `root`): each must be an `https://` URL,
 * an anchor of a heading of the file, or a relative path to a file or folder inside `root`
 * (with, for a Markdown file, an anchor of one of its headings).
 */
export function linkProblems(root: string, file: string, markdown: string): string[] {
  const problems: string[] = [];
  const folder = dirname(resolve(root, file));
  for (const { target, line } of linksIn(markdown)) {
    const where = `${file}:${line}: ${target}`;
    if (/^https:\/\/[^/\s]+/.test(target)) continue;
    if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(target)) {
      problems.push(`${where} leaves the repository other than by https://`);
      continue;
    }
    if (target === '') {
      problems.push(`${where} is empty`);
      continue;
    }
    const [path, anchor] = splitOnce(decodeURI(target), '#');
    if (path.startsWith('/')) {
      problems.push(`${where} is absolute; links are relative to the file`);
      continue;
    }
    const resolved = path === '' ? resolve(root, file) : resolve(folder, path);
    const inside = relative(root, resolved);
    if (inside.startsWith('..') || resolve(root, inside) !== resolved) {
      problems.push(`${where} points outside the repository`);
      continue;
    }
    if (!existsSync(resolved)) {
      problems.push(`${where} names no file of the repository`);
      continue;
    }
    if (anchor === undefined) continue;
    if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) {
      problems.push(`${where} has an anchor, but names no Markdown file`);
    } else if (!headingAnchors(path === '' ? markdown : readFileSync(resolved, 'utf8')).has(anchor)) {
      problems.push(`${where} names no heading of ${inside.split(sep).join('/')}`);
    }
  }
  return problems;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
