// The layout's rules, checked by `pnpm check` (dependency-cruiser): libraries in packages/, services
// in services/, tools in scripts/, bench/ and test/, and the dependency direction one way:
//   services -> platform -> contracts;  ops -> platform, contracts (and the services' settings);
//   scripts, bench, test -> packages and services, by package name only.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A cycle makes two modules one: neither can be read, tested or moved without the other.",
      from: {},
      to: { circular: true },
    },
    {
      name: "platform-not-to-ops",
      severity: "error",
      comment: "The platform is what a running service loads; setting a system up (ops) stays out of it.",
      from: { path: "^packages/platform/" },
      to: { path: "^packages/ops/" },
    },
    {
      name: "services-not-to-ops",
      severity: "error",
      comment: "A service runs on the platform; what sets systems up (ops) is not in its image's path.",
      from: { path: "^services/" },
      to: { path: "^packages/ops/" },
    },
    {
      name: "platform-not-to-services",
      severity: "error",
      comment: "The platform serves every service and knows none of them.",
      from: { path: "^packages/platform/" },
      to: { path: "^services/" },
    },
    {
      name: "contracts-stand-alone",
      severity: "error",
      comment: "The contracts (messages, topics, FLOWS) depend on nothing of the project's.",
      from: { path: "^packages/contracts/" },
      to: { path: "^(packages/(platform|ops)|services)/" },
    },
    {
      name: "service-not-to-service",
      severity: "error",
      comment: "Services talk over Kafka and HTTP, never through each other's code.",
      from: { path: "^services/([^/]+)/" },
      to: { path: "^services/", pathNot: "^services/$1/" },
    },
    {
      name: "tools-apart",
      severity: "error",
      comment: "bench/, test/ and scripts/ import packages, never each other.",
      from: { path: "^(bench|test|scripts)/" },
      to: { path: "^(bench|test|scripts)/", pathNot: "^$1/" },
    },
    {
      name: "packages-by-name",
      severity: "error",
      comment: "A library or service is imported by its package name and exports, never by a relative path into it.",
      from: { path: "^(bench|test|scripts|prisma|packages/[^/]+|services/[^/]+)/" },
      to: { path: "^(packages|services)/", pathNot: "^$1/", dependencyTypes: ["local"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(node_modules|generated|dist|\\.data|\\.cache)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "default", "node"],
      extensions: [".ts", ".js", ".mjs", ".json"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
