// Three small synthetic repositories for the miner's tests, written into a temporary folder: documented and
// undocumented functions in every mined language, a test file, a minified, a binary, a non-UTF-8, a huge, a
// generated and an unparsable file, .gitignored files and a folder (at the root and in a subfolder), a vendored folder, trivial constructors
// and a duplicate function. The repository names are chosen so that they land in the three splits:
// alpha -> train, beta -> test, chi -> valid.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const PARSER_PY = `"""Module docstring."""
import os


class Parser:
    """A parser."""

    def __init__(self, path, verbose):
        """Create a parser for a path."""
        self.path = path
        self.verbose = verbose

    def parse_args(self, argv):
        """Parse the command line arguments.

        Returns a namespace.
        """
        options = {}
        for arg in argv:
            options[arg] = True
        return options

    def helper(self):
        return 1


def read_config(path, strict=False):
    '''Read a configuration file and return its values.'''
    with open(path) as f:
        return f.read()


def short():
    """Too short to keep."""
    return 1


def tiny_doc(x):
    """Does stuff."""
    y = x + 1
    return y


def test_parse():
    """Test that parsing works well."""
    assert Parser("x", False).parse_args([]) == {}
    assert True
`;

export const UTIL_JS = `/**
 * Joins the parts of a path with slashes.
 *
 * @param {string[]} parts the parts
 * @returns {string}
 */
export function joinPath(parts) {
  const cleaned = parts.filter(Boolean);
  return cleaned.join('/');
}

/** Not a doc for anything: a blank line follows. */

function undocumented(a) {
  return a + 1;
  // end
}

class Store {
  /**
   * Creates a store over a map.
   */
  constructor(map) {
    this.map = map;
  }

  /**
   * Returns the value stored under a key, or the fallback.
   */
  get(key, fallback) {
    const value = this.map.get(key);
    return value === undefined ? fallback : value;
  }
}

/** Adds two numbers together, carefully. */
const add = (a, b) => {
  // a comment stays in the code
  return a + b;
};

[1, 2].map(function (x) { return x; });

/**
 * Doubles a number and returns the result.
 */
/* @__NO_SIDE_EFFECTS__ */
function double(n) {
  const twice = n * 2;
  return twice;
}
`;

export const SERVER_GO = `// Package server serves things.
package server

// Start starts the server on the given port.
// It blocks until the server stops.
//
// More details here.
func Start(port int) error {
	addr := fmt.Sprintf(":%d", port)
	return http.ListenAndServe(addr, nil)
}

// Close shuts the server down gracefully and waits.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ln.Close()
}

func helper() {
}
`;

export const CALCULATOR_JAVA = `package com.x;

/** A calculator. */
public class Calculator {
    private final int base;

    /** Creates a calculator with a base value. */
    public Calculator(int base) {
        this.base = base;
    }

    /**
     * Adds a value to the base and returns the sum.
     * <p>
     * Overflow is not checked.
     *
     * @param value the value to add
     * @return the sum
     */
    @Override
    public int add(int value) {
        int sum = base + value;
        return sum;
    }

    interface Op {
        /** Applies the operation to a value. */
        int apply(int v);
    }
}
`;

export const GREETER_RB = `module Greetings
  class Greeter
    # Creates a greeter with a name.
    def initialize(name)
      @name = name
    end

    # Greets the person by name, politely.
    #
    # Returns the greeting.
    def greet(punctuation)
      message = "Hello, #{@name}"
      message + punctuation
    end

    # Builds a default greeter for everyone.
    def self.default
      new("world")
    end
  end
end
`;

export const CACHE_PHP = `<?php
namespace App;

/**
 * A cache.
 */
class Cache
{
    /**
     * Stores a value in the cache under the key.
     *
     * @param string $key
     */
    public function put($key, $value)
    {
        $this->items[$key] = $value;
    }

    public function __construct($items)
    {
        $this->items = $items;
    }
}

/**
 * Formats a cache key from its parts.
 */
function cache_key(array $parts): string
{
    return implode(':', $parts);
}
`;

export const API_TS = `export interface Options { retries: number }

/**
 * Fetches a URL with retries and returns the body.
 */
export async function fetchWithRetry(url: string, options: Options): Promise<string> {
  let last: unknown;
  for (let i = 0; i < options.retries; i++) {
    try { return await get(url); } catch (e) { last = e; }
  }
  throw last;
}

export class Client {
  /** Sends a request to the server and waits. */
  async send(body: string): Promise<void> {
    await fetchWithRetry(body, { retries: 1 });
    return;
  }
}
`;

/** The same function as read_config in alpha, with other whitespace and a comment: a duplicate. */
export const COPY_PY = `def read_config(path, strict=False):
    '''Read a configuration file and return its values.'''
    # a comment that deduplication ignores
    with open(path) as f:
            return f.read()
`;

export const MEAN_PY = `def mean(values):
    """Compute the mean of a list of numbers."""
    total = sum(values)
    return total / len(values)
`;

const DOCUMENTED_PY = `def hidden(value):
    """A documented function nobody should see."""
    value = value + 1
    return value
`;

function put(root: string, path: string, content: string | Uint8Array): void {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

/** Writes the three repositories; returns the folder holding alpha/, beta/ and chi/. */
export function makeRepositories(): string {
  const root = mkdtempSync(join(tmpdir(), 'secora-miner-'));
  const alpha = join(root, 'alpha');
  put(alpha, '.gitignore', 'build/\nsecret.py\n');
  put(alpha, 'pkg/parser.py', PARSER_PY);
  put(alpha, 'secret.py', DOCUMENTED_PY);
  put(alpha, 'build/gen.py', DOCUMENTED_PY);
  put(
    alpha,
    'node_modules/dep/index.js',
    '/** Vendored code, never mined here. */\nfunction dep() {\n  return 1;\n}\n',
  );
  put(alpha, 'web/util.js', UTIL_JS);
  put(alpha, 'web/util.min.js', 'function a(){return 1}function b(){return 2}\n');
  put(alpha, 'web/util.test.js', '/** Tests the join of paths. */\nfunction testJoin() {\n  return 1;\n}\n');
  put(alpha, 'go/server.go', SERVER_GO);
  put(
    alpha,
    'go/server_test.go',
    'package server\n\n// TestStart tests the start.\nfunc TestStart(t *testing.T) {\n}\n',
  );

  const beta = join(root, 'beta');
  put(beta, 'src/main/java/com/x/Calculator.java', CALCULATOR_JAVA);
  put(beta, 'lib/greeter.rb', GREETER_RB);
  put(
    beta,
    'lib/latin1.rb',
    Buffer.from('# Caf\xe9 means coffee in French.\ndef cafe\n  1\nend\n', 'latin1'),
  );
  put(beta, 'lib/blob.py', Buffer.from([0x64, 0x65, 0x66, 0x00, 0x01, 0x02, 0x0a]));
  put(beta, 'src/Cache.php', CACHE_PHP);
  put(beta, 'web/api.ts', API_TS);
  put(beta, 'big.py', `${DOCUMENTED_PY}\n${'# padding line for a huge file\n'.repeat(200)}`);
  put(
    beta,
    'gen/types.go',
    '// Code generated by protoc-gen-go. DO NOT EDIT.\n\npackage gen\n\n// Kind returns the kind of the value.\nfunc Kind() int {\n\treturn 1\n}\n',
  );
  put(beta, 'broken.py', 'def broken(:\n    """Never parsed at all."""\n    return 1\n');

  const chi = join(root, 'chi');
  put(chi, 'copy.py', COPY_PY);
  put(chi, 'tests/test_copy.py', DOCUMENTED_PY);
  put(chi, 'lib/.gitignore', 'generated_*.py\n');
  put(chi, 'lib/generated_x.py', DOCUMENTED_PY);
  put(chi, 'lib/kept.py', MEAN_PY);
  return root;
}

/** Small enough that big.py (about 6 kB) is huge and every other file is not. */
export const FIXTURE_MAX_FILE_BYTES = 4096;
