'use strict';

// Polls /api/status (relative, so the page also works behind a proxy under a path) and fills the page. Rates are the
// change between two readings divided by the broker's uptime between them: the broker keeps no history for the page.
const PollMilliseconds = 2000;
let previous = null;

const count = n => Number(n).toLocaleString('en-US');

function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return (unit === 0 ? n : n.toFixed(1)) + ' ' + units[unit];
}

const sum = byLabel => Object.values(byLabel).reduce((a, b) => a + b, 0);

// Seconds as milliseconds below one second, three significant digits.
const duration = s => s >= 1 ? s.toPrecision(3) + ' s' : (s * 1000).toPrecision(3) + ' ms';

function set(id, text, bad) {
  const cell = document.getElementById(id);
  cell.textContent = text;
  cell.classList.toggle('bad', Boolean(bad));
}

// Empty until a second reading; a broker restarted in between (uptime went back) shows no rate either.
function rate(id, seconds, now, before, format) {
  set(id, seconds > 0 ? format(Math.max(0, now - before) / seconds) + '/s' : '');
}

// A table of one row per label value, each row's id "<table id>-<label>".
function fillLabelled(tableId, byLabel, bad) {
  const table = document.getElementById(tableId);
  const labels = Object.keys(byLabel).sort();
  table.replaceChildren(...labels.map(label => {
    const row = document.createElement('tr');
    const name = document.createElement('th');
    name.textContent = label;
    const value = document.createElement('td');
    value.id = tableId + '-' + label;
    value.textContent = count(byLabel[label]);
    value.classList.toggle('bad', Boolean(bad && byLabel[label] > 0));
    row.append(name, value);
    return row;
  }));
  if (labels.length === 0) {
    const row = document.createElement('tr');
    const none = document.createElement('th');
    none.textContent = 'none';
    row.append(none);
    table.append(row);
  }
}

// One row of the latency table per label: a series appears with its first measurement, a dash until then. The last
// column is the mean of what was measured between the last two readings (none before a second reading, or after a
// restart of the broker), empty when nothing was.
function fillLatency(prefix, labels, series, before) {
  for (const label of labels) {
    const now = series[label];
    const id = prefix + '-' + label;
    set(id + '-count', now ? count(now.count) : '–');
    set(id + '-p50', now ? duration(now.p50) : '–');
    set(id + '-p99', now ? duration(now.p99) : '–');
    set(id + '-mean', now ? duration(now.mean) : '–');
    const old = before?.[label] ?? { count: 0, sum: 0 };
    set(id + '-recent', before && now && now.count > old.count ? duration((now.sum - old.sum) / (now.count - old.count)) : '');
  }
}

function fillWarnings(warnings) {
  const body = document.querySelector('#warnings tbody');
  body.replaceChildren(...warnings.map(w => {
    const row = document.createElement('tr');
    for (const [text, kind] of [[w.time.replace('T', ' ').replace(/\.\d+Z$|Z$/, ''), ''], [w.level, w.level], [w.source, ''], [w.message, w.level]]) {
      const cell = document.createElement('td');
      cell.textContent = text;
      if (kind) {
        cell.className = kind;
      }
      row.append(cell);
    }
    return row;
  }));
  document.getElementById('no-warnings').hidden = warnings.length > 0;
}

function show(status) {
  const old = previous ?? status;
  const seconds = status.uptimeSeconds - old.uptimeSeconds;
  document.getElementById('version').textContent = 'version ' + status.version;
  document.getElementById('uptime').textContent = 'up ' + new Date(status.uptimeSeconds * 1000).toISOString().substring(11, 19)
    + (status.uptimeSeconds >= 86400 ? ' + ' + Math.floor(status.uptimeSeconds / 86400) + ' d' : '');

  set('sessions-online', count(status.sessionsOnline));
  set('sessions-offline', count(status.sessionsOffline));
  set('sessions-offline-cluster', count(status.sessionsOfflineCluster));
  set('sessions-expired', count(status.sessionsExpired));
  set('subscriptions', count(status.subscriptions));
  set('connections-accepted', count(status.connectionsAccepted));
  rate('connections-accepted-rate', seconds, status.connectionsAccepted, old.connectionsAccepted, n => n.toFixed(1));
  set('authentication-failures', count(status.authenticationFailures), status.authenticationFailures > 0);
  fillLabelled('connections', status.connections);
  fillLabelled('connections-refused', Object.fromEntries(Object.entries(status.connectionsRefused).filter(([, n]) => n > 0)), true);

  for (const [direction, property] of [['received', 'messagesReceived'], ['sent', 'messagesSent']]) {
    const byQos = status[property];
    set('messages-' + direction, count(sum(byQos)));
    for (const qos of ['0', '1', '2']) {
      set('messages-' + direction + '-' + qos, count(byQos[qos] ?? 0));
    }
    rate('messages-' + direction + '-rate', seconds, sum(byQos), sum(old[property]), n => n.toFixed(1));
  }

  set('bytes-received', bytes(status.bytesReceived));
  set('bytes-sent', bytes(status.bytesSent));
  rate('bytes-received-rate', seconds, status.bytesReceived, old.bytesReceived, bytes);
  rate('bytes-sent-rate', seconds, status.bytesSent, old.bytesSent, bytes);
  set('retained-messages', count(status.retainedMessages));
  set('session-queued', count(status.sessionQueued));
  set('session-queued-bytes', bytes(status.sessionQueuedBytes));
  set('session-inflight', count(status.sessionInflight));
  set('cluster-up', count(status.clusterMembers.up ?? 0));
  set('cluster-unreachable', count(status.clusterUnreachable), status.clusterUnreachable > 0);

  set('journal-write-failures', count(sum(status.journalWriteFailures)), sum(status.journalWriteFailures) > 0);
  fillLabelled('messages-dropped', status.messagesDropped, true);
  fillLabelled('journal-write-failures-by-writer', status.journalWriteFailures, true);
  fillLatency('journal-latency', ['session', 'retained'], status.journalWriteSeconds, seconds > 0 ? old.journalWriteSeconds : null);
  fillLatency('ack-latency', ['1', '2'], status.publishAckSeconds, seconds > 0 ? old.publishAckSeconds : null);
  fillWarnings(status.warnings);
  previous = status;
}

async function poll() {
  const state = document.getElementById('state');
  try {
    const response = await fetch('api/status', { cache: 'no-store' });
    if (!response.ok) {
      throw new Error('HTTP ' + response.status);
    }
    show(await response.json());
    state.textContent = 'live, read at ' + new Date().toLocaleTimeString('en-GB');
    state.className = 'live';
  } catch (e) {
    state.textContent = 'broker not answering (' + e.message + '), retrying';
    state.className = 'stale';
  } finally {
    setTimeout(poll, PollMilliseconds);
  }
}

poll();
