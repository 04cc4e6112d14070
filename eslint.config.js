// ESLint flat config: the JavaScript, typescript-eslint and Svelte recommended rules over the whole repository
// (app, simulator, tests, benches, scripts). `npm run lint` runs it; ./setup.sh test runs that after svelte-check.
// Not type-aware: typescript-eslint's type-checked rules took over 4 minutes here (the whole lint must stay
// under a minute on a 2-core machine), and svelte-check already type-checks every file.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default defineConfig(
	{
		ignores: ['build/', '.svelte-kit/', 'node_modules/', 'test-results/', 'playwright-report/', '.demo/', '.bench/', '.test-data/', '.tmp-dbg/']
	},
	js.configs.recommended,
	ts.configs.recommended,
	svelte.configs.recommended,
	{
		languageOptions: {
			globals: { ...globals.browser, ...globals.node }
		}
	},
	{
		files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
		languageOptions: {
			parserOptions: {
				extraFileExtensions: ['.svelte'],
				parser: ts.parser,
				svelteConfig
			}
		}
	},
	{
		rules: {
			// `const { secret: _secret, ...rest } = x` is how the code drops a key from a copy.
			'@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
			// Matching control characters is the point of those patterns (terminal escapes, refusing them in input).
			'no-control-regex': 'off',
			// Page links come from pageRoutes ($lib/shared/routes, its spec refuses literal ones); no kit.paths.base.
			'svelte/no-navigation-without-resolve': 'off',
			// `{' '}` keeps a space at the edge of an {#if} block, where Svelte 5 trims literal whitespace.
			'svelte/no-useless-mustaches': 'off'
		}
	}
);
