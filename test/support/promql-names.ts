/**
 * The metric names a PromQL expression reads, so tests can check that the alerting rules and the
 * dashboard name only metrics something exports. A small scan rather than a parser: it drops what
 * cannot be a metric name (strings, label matchers, ranges, grouping label lists, function names,
 * keywords, numbers), and whatever identifier is left is a metric.
 */
const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan', 'atan2']);

export function metricNamesIn(expression: string): Set<string> {
  const stripped = expression
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.$:])[a-zA-Z_:][a-zA-Z0-9_:]*(?![\w:]|\s*\()/g)) {
    if (!keywords.has(match[0].toLowerCase())) names.add(match[0]);
  }
  return names;
}

/**
 * Every metric name a Prometheus text exposition offers: each family named by `# HELP` (prom-client
 * prints it for a family with no samples yet), with the series names a histogram or summary adds,
 * and each sample's name.
 */
export function exposedMetricNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      names.add(name);
      if (kind === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
      if (kind === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
      continue;
    }
    const help = /^# HELP (\S+)/.exec(line);
    if (help) names.add(help[1]!);
    else if (!line.startsWith('#')) {
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
      if (sample) names.add(sample[1]!);
    }
  }
  return names;
}
