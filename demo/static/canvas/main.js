// Start: every value Python sends goes through the protocol; the page opens with the Add tool.
watch('value', parts.protocol.onValue);
parts.protocol.onValue();
parts.tools.setTool('add');
