"""Drives chengyun's Open311 endpoint with two real clients from PyPI, civicbot and georeport.

Run by crates/http/tests/api/open311_clients.rs against a live server on loopback. Reads
CHENGYUN_BASE, CHENGYUN_KEY, CHENGYUN_JURISDICTION, CHENGYUN_LAT, CHENGYUN_LONG from the
environment and prints one JSON object with what each client saw; any client error fails the run.
"""
import json
import os

from civicbot import Endpoint, HttpTransport, Open311Client
from civicbot.http import RateLimiter
from georeport import GeoReport

base = os.environ["CHENGYUN_BASE"] + "/open311/v2"
key = os.environ["CHENGYUN_KEY"]
town = os.environ["CHENGYUN_JURISDICTION"]
lat, lng = float(os.environ["CHENGYUN_LAT"]), float(os.environ["CHENGYUN_LONG"])
out = {}

# civicbot: list services, a definition, create with attributes (really sent), list, get, token.
endpoint = Endpoint(id="chengyun", name="chengyun test", base_url=base, write=True)
client = Open311Client(endpoint, transport=HttpTransport(rate_limiter=RateLimiter(min_interval=0)), jurisdiction_id=town)
services = client.list_services()
out["civicbot_services"] = [s["service_code"] for s in services]
definition = client.get_service_definition("SJ-0102")
out["civicbot_attributes"] = [a["code"] for a in definition["attributes"]]
sent = client.create_request(
    "SJ-0102",
    dry_run=False,
    confirm="SEND",
    api_key=key,
    validate_remote=True,
    lat=lat,
    lng=lng,
    description="小区门口暴露垃圾（civicbot）",
    attributes={"AMOUNT": "large", "KIND": ["household", "construction"]},
    device_id="civicbot-device-1",
    account_id="resident-7",
)
created = sent.response[0]
out["civicbot_created"] = created
number = created["service_request_id"]
out["civicbot_list"] = [r["service_request_id"] for r in client.list_requests(service_code="SJ-0102", status="open")]
out["civicbot_get"] = client.get_request(number)
out["civicbot_token"] = client.get_token(created["token"])

# georeport: the GET calls, in JSON and in XML.
for fmt in ("json", "xml"):
    g = GeoReport(base, jurisdiction=town, output_format=fmt)
    listed = g.get_service_list()
    out[f"georeport_{fmt}_services"] = [s["service_code"] for s in listed]
    d = g.get_service_definition("SJ-0102")
    attrs = d["attributes"]
    if fmt == "xml":
        attrs = attrs["attribute"]
    out[f"georeport_{fmt}_attributes"] = [a["code"] for a in attrs]
    requests = g.get_service_requests(service_code="SJ-0102", status="open")
    if isinstance(requests, dict):
        requests = [requests]
    out[f"georeport_{fmt}_requests"] = [r["service_request_id"] for r in requests]
    one = g.get_service_request(number)
    out[f"georeport_{fmt}_request"] = {k: one.get(k) for k in ("service_request_id", "status", "service_name", "requested_datetime")}

print(json.dumps(out, ensure_ascii=False))
