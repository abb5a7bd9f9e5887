"""The lead package's HTML page: one self-contained file (inline style, no script, nothing fetched)."""

# ruff: noqa: E501  (HTML rows read best whole; wrapping them would put whitespace into table cells)

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Lead {{ lead.key }}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}th{background:#eee}
.mono{font-family:monospace}.warn{color:#a00;font-weight:bold}
</style></head><body>
<h1>Lead {{ lead.key }}</h1>
<p>Exported {{ p.exported_at }} by {{ p.exported_by }} ({{ p.format }}).</p>
{% if not lead.actionable %}<p class="warn">Not actionable: the lead is below the confirmed evidence tier.</p>{% endif %}
<table>
<tr><th>lead</th><td>{{ lead.key }} (id {{ lead.id }})</td></tr>
<tr><th>status</th><td>{{ lead.status }}</td></tr>
<tr><th>agency</th><td>{{ lead.agency or "not assigned" }}</td></tr>
<tr><th>routing</th><td>{{ lead.routing_status.text }}</td></tr>
<tr><th>jurisdiction table</th><td>{% if lead.routing %}names {{ lead.routed_to or "-" }} ({{ lead.routing.reason }}){% else %}none given{% endif %}</td></tr>
<tr><th>window</th><td>{{ lead.window_days }} days to {{ lead.as_of }}</td></tr>
<tr><th>first / last seen</th><td>{{ lead.first_seen }} / {{ lead.last_seen }}</td></tr>
<tr><th>observations</th><td>{{ lead.observation_count }}</td></tr>
<tr><th>distinct known files</th><td>{{ lead.known_files }}</td></tr>
<tr><th>highest category</th><td>{{ lead.max_category or "uncategorised" }} (severity {{ lead.max_severity }})</td></tr>
<tr><th>seeding</th><td>{{ "yes" if lead.seeding else "no / partial" }}</td></tr>
<tr><th>distinct days</th><td>{{ lead.days_seen }}</td></tr>
<tr><th>evidence tier</th><td>{{ lead.tier }}</td></tr>
<tr><th>peer ids</th><td class="mono">{{ lead.identities.peer_ids | join(", ") }}</td></tr>
<tr><th>clients</th><td>{{ lead.identities.clients | join(", ") }}</td></tr>
</table>
<h2>Grounds</h2>
<p>The grounds for lead {{ lead.key }} (id {{ lead.id }}), as the observer's session logs record them. Each fact
cites the record it rests on: session, record number and the record's SHA-256 in that session's hash-chained log.
{% if p.announced %}{{ p.announced }} announced observation(s) (trackers, DHT, PEX) name addresses that may be spoofed: they are leads, not grounds, and are listed with the observations only.{% endif %}
Exported by {{ p.software }}.</p>
<ol class="grounds">
{% for g in p.grounds %}<li>{{ g.fact }} <span class="mono">[{{ g.cites | join("; ") }}]</span></li>
{% else %}<li>No confirmed or downloaded observation: the lead has no grounds for legal process.</li>{% endfor %}
</ol>
<h3>Known material matched</h3>
<table><tr><th>matched by</th><th>hash</th><th>set</th><th>version</th><th>entry</th><th>file</th><th>category</th><th>series</th></tr>
{% for k in p.known_material %}<tr><td>{{ k.matched_by }}</td><td class="mono">{{ k.digest }}</td><td>{{ k.set }}</td><td>{{ k.version }}</td><td>{{ k.entry_id }}: {{ k.entry }}</td><td>{{ k.file_name or "-" }}</td><td>{{ k.category or "-" }} ({{ k.category_text or "uncategorised" }}{% if k.category_label %}; list's label: {{ k.category_label }}{% endif %})</td><td>{{ k.series or "-" }}</td></tr>
{% else %}<tr><td colspan="8">none</td></tr>{% endfor %}</table>
<h3>Observer sessions</h3>
<table><tr><th>session</th><th>source</th><th>operator</th><th>case</th><th>software</th><th>configuration SHA-256</th><th>known material</th><th>clock</th><th>clock offset (ms)</th><th>observations</th></tr>
{% for x in p.sessions %}<tr><td class="mono">{{ x.session_id }}</td><td>{{ x.source }}</td><td>{{ x.operator }}</td><td>{{ x.case_id or "-" }}</td><td>{{ x.software or "-" }}</td><td class="mono">{{ x.config_sha256 or "-" }}</td><td>{{ x.library_version or "-" }}</td><td>{{ x.clock_source or "-" }}</td><td>{{ x.clock_offset_ms if x.clock_offset_ms is not none else "not measured" }}</td><td>{{ x.observations }}</td></tr>
{% endfor %}</table>
<h2>Score {{ lead.score }}</h2>
<table><tr><th>factor</th><th>value</th><th>weight</th><th>contribution</th><th>why</th></tr>
{% for f in lead.explanation.factors %}<tr><td>{{ f.name }}</td><td>{{ f.value }}</td><td>{{ f.weight }}</td><td>{{ f.contribution }}</td><td>{{ f.explanation }}</td></tr>
{% endfor %}</table>
<h2>Addresses and geolocation</h2>
<table><tr><th>IP</th><th>first seen</th><th>last seen</th><th>obs.</th><th>country</th><th>province</th><th>city</th><th>ASN</th><th>ISP</th><th>agency</th></tr>
{% for ip in lead.ips %}<tr><td class="mono">{{ ip.ip }}</td><td>{{ ip.first_seen }}</td><td>{{ ip.last_seen }}</td><td>{{ ip.observation_count }}</td><td>{{ ip.geo.get("country") or "-" }}</td><td>{{ ip.geo.get("subdivision") or "-" }}</td><td>{{ ip.geo.get("city") or "-" }}</td><td>{{ ip.geo.get("asn") or "-" }}</td><td>{{ ip.geo.get("isp") or "-" }}</td><td>{{ ip.agency or "-" }}</td></tr>
{% endfor %}</table>
<h3>Geolocation databases</h3>
<ul>{% for d in lead.geo_databases %}<li>{{ d.file }}: {{ d.database_type }}, built {{ d.build_utc }}, SHA-256 <span class="mono">{{ d.sha256 }}</span></li>
{% else %}<li>none given</li>{% endfor %}</ul>
<h2>Session log verification</h2>
<pre>{{ p.log_verification | tojson(indent=2) }}</pre>
<h2>History</h2>
<table><tr><th>at</th><th>actor</th><th>action</th><th>from</th><th>to</th><th>detail</th></tr>
{% for e in lead.events %}<tr><td>{{ e.at }}</td><td>{{ e.actor }}</td><td>{{ e.action }}</td><td>{{ e.from or "" }}</td><td>{{ e.to or "" }}</td><td class="mono">{{ e.detail | tojson }}</td></tr>
{% endfor %}</table>
<h2>Observations ({{ p.observations | length }})</h2>
<table><tr><th>time (UTC)</th><th>IP</th><th>port</th><th>tier</th><th>method</th><th>infohash</th><th>file hash</th><th>peer id</th><th>client</th><th>seeding</th><th>source</th><th>record</th></tr>
{% for o in p.observations %}<tr><td>{{ o.ts_utc }}</td><td class="mono">{{ o.ip }}</td><td>{{ o.port or "" }}</td><td>{{ o.tier }}</td><td>{{ o.method }}</td><td class="mono">{{ o.infohash_v1 or o.infohash_v2 or "" }}</td><td class="mono">{{ o.file_hash_kind or "" }} {{ o.file_hash or "" }}</td><td class="mono">{{ o.peer_id or "" }}</td><td>{{ o.client or "" }}</td><td>{{ o.seeding }}</td><td>{{ o.source }} {{ o.reported_by or "" }}</td><td class="mono">{{ o.record_sha256 or "" }}</td></tr>
{% endfor %}</table>
</body></html>
"""
