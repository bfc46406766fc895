// `--path GLOB`: which hits a search keeps, by their path. `*` and `?` stay inside one folder, `**` crosses
// folders, a glob without a slash matches the file's name in any folder (as .gitignore does).

/** A predicate over slash-separated paths for a glob. */
export function pathMatcher(glob: string): (path: string) => boolean {
  const pattern = glob.includes('/') ? glob.replace(/^\.?\//, '') : `**/${glob}`;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` matches zero or more folders; a trailing `**` anything.
      if (pattern[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  // A folder's glob (`src/search` or `src/`) matches everything inside it too.
  const matcher = new RegExp(`^${re.replace(/\/$/, '')}(?:/.*)?$`);
  return (path) => matcher.test(path);
}
