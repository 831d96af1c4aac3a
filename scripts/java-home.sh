# Sourced by ./mvnw, ./vireo and the scripts: export JAVA_HOME as a JDK 25 or newer.
# JAVA_HOME wins if it is 25+; else the newest /usr/lib/jvm/*25* (or newer) that has bin/java.
vireo_java_major() {
  # The JDK's release file says it without starting a JVM (~100 ms off every launch); else ask java. Read with
  # builtins: ./vireo's time before the JVM starts counts in every VM's boot.
  if [ -f "$1/release" ]; then
    local line v
    while IFS= read -r line; do
      case $line in
        JAVA_VERSION=*) v=${line#JAVA_VERSION=\"}; v=${v%%[!0-9]*}; echo "$v"; return ;;
      esac
    done <"$1/release"
  else
    "$1/bin/java" -XshowSettings:properties -version 2>&1 |
      sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
  fi
}
vireo_find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    m=$(vireo_java_major "$JAVA_HOME")
    if [ -n "$m" ] && [ "$m" -ge 25 ]; then return 0; fi
  fi
  # The newest: the highest major version among the candidates.
  local d best= best_m=0
  for d in /usr/lib/jvm/*2[5-9]* /usr/lib/jvm/*3[0-9]*; do
    if [ -x "$d/bin/java" ]; then
      m=$(vireo_java_major "$d")
      if [ -n "$m" ] && [ "$m" -ge 25 ] && [ "$m" -ge "$best_m" ]; then best=$d; best_m=$m; fi
    fi
  done
  if [ -n "$best" ]; then JAVA_HOME=$best; return 0; fi
  echo "vireo: no JDK 25 found: set JAVA_HOME to a JDK 25 or install one under /usr/lib/jvm" >&2
  return 1
}
vireo_find_jdk || exit 1
export JAVA_HOME
