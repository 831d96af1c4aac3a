/**
 * JMH benchmarks of the data plane and the runner that starts them with the project's JVM flags.
 */
package io.vireo.bench;
