export type PathParams = Record<string, string>;

interface Route<H> {
  method: string;
  segments: string[];
  handler: H;
}

export interface RouteMatch<H> {
  handler: H;
  pathParams: PathParams;
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

/** A method + path table; `:name` segments capture one path segment each. */
export class Router<H> {
  private readonly routes: Route<H>[] = [];

  on(method: string, pattern: string, handler: H): this {
    this.routes.push({ method, segments: splitPath(pattern), handler });
    return this;
  }

  match(method: string, path: string): RouteMatch<H> | undefined {
    const segments = splitPath(path);
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const pathParams = matchSegments(route.segments, segments);
      if (pathParams) return { handler: route.handler, pathParams };
    }
    return undefined;
  }
}

function matchSegments(pattern: string[], actual: string[]): PathParams | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: PathParams = {};
  for (const [index, part] of pattern.entries()) {
    const value = actual[index];
    if (part.startsWith(':')) {
      params[part.slice(1)] = safeDecode(value);
    } else if (part !== value) {
      return undefined;
    }
  }
  return params;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
