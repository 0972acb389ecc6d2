// Imported first by the provisioner tests: the handler module creates its Logger at load time.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
