#!/usr/bin/env bash
# Java 17 or newer for the Spark engine (pyspark starts a JVM): kept when there is one,
# else Debian's OpenJDK is installed (as root, or through sudo).
set -euo pipefail
version() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }
if command -v java >/dev/null && [ "$(version)" -ge 17 ] 2>/dev/null; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "the Spark engine needs Java 17 or newer: install a JDK and put java on PATH" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing Debian's OpenJDK (Java for the Spark engine)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null
