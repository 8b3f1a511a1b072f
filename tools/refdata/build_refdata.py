#!/usr/bin/env python3
"""Regenerate data/divisions.tsv, data/cities.tsv, data/mobile-segments.tsv and data/workdays.tsv
from well-kept public packages (see README.md beside this file for versions and how to run).

usage: build_refdata.py STDNUM_LOC_DAT CHINA_DIVISION_DIST PHONE_DAT OUT_DIR
(the chinesecalendar and phonenumbers modules must be importable)
"""
import collections
import csv
import datetime
import json
import struct
import sys
from pathlib import Path

loc_dat, division_dist, phone_dat, out = (Path(a) for a in sys.argv[1:5])
GENERATED = "2026-11-22"
PROVINCE_SHORT = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古", "21": "辽宁", "22": "吉林", "23": "黑龙江",
    "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建", "36": "江西", "37": "山东", "41": "河南",
    "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南", "50": "重庆", "51": "四川", "52": "贵州",
    "53": "云南", "54": "西藏", "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏", "65": "新疆",
}
SHORT_TO_CODE = {v: k for k, v in PROVINCE_SHORT.items()}
MUNICIPALITIES = {"11": ("北京市", "北京"), "12": ("天津市", "天津"), "31": ("上海市", "上海"), "50": ("重庆市", "重庆")}


def write(name, header, rows):
    path = out / name
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        for h in header:
            f.write(f"# {h}\n" if h else "#\n")
        for r in rows:
            f.write("\t".join(str(x) for x in r) + "\n")
    tmp.replace(path)
    return len(rows)


# ---- current divisions (china-division) ---------------------------------------------------------
def read_csv(name):
    with open(division_dist / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))

provinces = read_csv("provinces.csv")
cities = read_csv("cities.csv")
areas = read_csv("areas.csv")
current = {}
for p in provinces:
    current[p["code"] + "0000"] = p["name"]
for c in cities:
    current[c["code"] + "00"] = c["name"]
for a in areas:
    current[a["code"]] = a["name"]
for code, name in {"810000": "香港特别行政区", "820000": "澳门特别行政区", "830000": "台湾省"}.items():
    current.setdefault(code, name)

# ---- historical divisions (python-stdnum loc.dat: every edition since 1980) ----------------------
historical = {}
prov = None
for line in loc_dat.read_text(encoding="utf-8").splitlines():
    if not line.strip() or line.startswith("#"):
        continue
    if not line.startswith(" "):
        prov = line.split()[0]
        continue
    code4, rest = line.strip().split(" ", 1)
    name = rest.split('"')[1].split(",")[-1]
    if name.startswith("["):
        name = name.split("]", 1)[1]
    historical[prov + code4] = name

divisions = []
for code in sorted(set(current) | set(historical)):
    if len(code) != 6 or not code.isdigit():
        continue
    status = "current" if code in current else "historical"
    divisions.append((code, current.get(code) or historical[code], status))
n_div = write("divisions.tsv", [
    "GB/T 2260 administrative division codes (行政区划代码), every edition: current ∪ historical.",
    "Source: npm china-division 2.7.0 (WTFPL; NBS 2023 provinces/cities/areas) for `current`;",
    "PyPI python-stdnum 2.2 (LGPL-2.1+) stdnum/cn/loc.dat (all editions since 1980) for `historical`.",
    "810000/820000/830000 (HK, Macao, Taiwan) added for residence-permit prefixes.",
    f"Generated {GENERATED} by tools/refdata/build_refdata.py. Columns: code, name, status.",
], divisions)

# ---- phone.dat: mobile segments and city area codes --------------------------------------------
buf = phone_dat.read_bytes()
_, first = struct.unpack("<4si", buf[:8])
count = (len(buf) - first) // 9
def record(off):
    end = buf.find(b"\x00", off)
    return buf[off:end].decode()
segments = []
city_codes = collections.defaultdict(collections.Counter)
cache = {}
for i in range(count):
    prefix, off, _type = struct.unpack("<iiB", buf[first + i * 9: first + i * 9 + 9])
    if off not in cache:
        cache[off] = record(off).split("|")
    p, city, _zip, area = cache[off]
    code = SHORT_TO_CODE.get(p)
    if code is None:
        continue
    city_codes[(code, city)][area] += 1
    if segments and segments[-1][2] == code and segments[-1][1] + 1 == prefix:
        segments[-1][1] = prefix
    else:
        segments.append([prefix, prefix, code])
n_seg = write("mobile-segments.tsv", [
    "Mainland mobile number segments (手机号段) → province, as inclusive ranges of seven-digit prefixes.",
    f"Source: PyPI phone 0.4.5 (MIT) phone.dat, {count} prefixes; consecutive prefixes of one province merged.",
    "An unknown prefix yields no finding (MOBILE_OUT_OF_REGION is skipped).",
    f"Generated {GENERATED} by tools/refdata/build_refdata.py. Columns: start, end, province.",
], [(s, e, c) for s, e, c in segments])

# ---- cities with area codes ---------------------------------------------------------------------
import phonenumbers.geocoder  # noqa: E402
from phonenumbers import geocoder as _g  # noqa: E402

def phonenumbers_area_codes():
    """86 + area code (no 0) → zh description, from phonenumbers' geocoding data."""
    from phonenumbers.geodata import GEOCODE_DATA  # noqa: F401
    return None

# The phonenumbers geocoder answers per number; probe each landline area code.
probe = {}
for ac in list(range(10, 100)) + list(range(300, 1000)):
    num = phonenumbers.parse(f"+86{ac}{'2' * (8 if ac < 100 else 7)}", None)
    desc = _g.description_for_number(num, "zh")
    if desc:
        probe[f"0{ac}"] = desc

def short_of(name):
    for suffix in ("特别行政区", "自治州", "地区", "盟", "市", "县", "林区"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            base = name[: -len(suffix)]
            break
    else:
        base = name
    # 延边朝鲜族自治州 → 延边; 黔东南苗族侗族自治州 → 黔东南
    markers = ("朝鲜族", "土家族", "苗族", "藏族", "彝族", "白族", "傣族", "景颇族", "哈尼族", "壮族", "布依族",
               "回族", "蒙古族", "哈萨克", "柯尔克孜", "傈僳族", "羌族", "侗族", "黎族")
    cut = min((i for i in (base.find(m) for m in markers) if i > 0), default=len(base))
    return base[:cut]

rows = []
unresolved = []
fallbacks = []
# County-level cities of the Xinjiang Production and Construction Corps lie inside a prefecture's
# numbering area; phone.dat has no record of them, so they take that prefecture's code (curated,
# named in data/SOURCES-generated.md).
XINJIANG_HOSTS = {
    "阿拉尔市": "阿克苏", "图木舒克市": "喀什", "五家渠市": "昌吉", "北屯市": "阿勒泰", "铁门关市": "巴音郭楞",
    "双河市": "博尔塔拉", "可克达拉市": "伊犁", "昆玉市": "和田", "胡杨河市": "塔城", "新星市": "哈密", "白杨市": "塔城",
}
def codes_for(pcode, name, short):
    found = collections.Counter()
    for (pc, city), counter in city_codes.items():
        if pc == pcode and (city == short or city == name or short.startswith(city) or city.startswith(short)):
            found.update(counter)
    if not found:
        for ac, desc in probe.items():
            if desc.startswith(PROVINCE_SHORT[pcode]) and (short in desc or name in desc):
                found[ac] += 1
    # phone.dat carries a few malformed codes (e.g. 00479): keep only 0 + 2–3 digits.
    return [ac for ac, _ in found.most_common() if len(ac) in (3, 4) and ac[0] == "0" and ac[1] != "0" and ac.isdigit()]

by_province = collections.defaultdict(list)
for c in cities:
    by_province[c["provinceCode"]].append(c)
for pcode in sorted(PROVINCE_SHORT):
    if pcode in MUNICIPALITIES:
        name, short = MUNICIPALITIES[pcode]
        codes = codes_for(pcode, name, short)
        rows.append((pcode, name, short, ",".join(codes[:1])))
        continue
    for c in sorted(by_province[pcode], key=lambda c: c["code"]):
        if c["name"] in ("省直辖县级行政区划", "自治区直辖县级行政区划"):
            units = [a for a in areas if a["cityCode"] == c["code"]]
        else:
            units = [{"name": c["name"]}]
        for u in units:
            name = u["name"]
            short = short_of(name)
            codes = codes_for(pcode, name, short)
            if not codes and name in XINJIANG_HOSTS:
                codes = codes_for(pcode, XINJIANG_HOSTS[name], XINJIANG_HOSTS[name])
                fallbacks.append(f"{name} → {XINJIANG_HOSTS[name]} {codes[:1]}")
            if not codes:
                # A province with a single area code for all its cities (海南 0898) gives it to all.
                province_codes = {ac for (pc, _), cnt in city_codes.items() if pc == pcode for ac in cnt}
                if len(province_codes) == 1:
                    codes = sorted(province_codes)
                    fallbacks.append(f"{name} → province-wide {codes[0]}")
            if not codes:
                unresolved.append(f"{pcode} {name}")
                continue
            # A city has one main code; a second appears only when the data gives it to many segments.
            main = codes[:1]
            rows.append((pcode, name, short, ",".join(main)))
n_city = write("cities.tsv", [
    "Prefecture-level cities (and municipalities, and county-level units under a province directly) with",
    "their fixed-line area codes (长途区号). Names: npm china-division 2.7.0 (WTFPL, NBS 2023).",
    "Area codes: PyPI phone 0.4.5 (MIT) phone.dat city records (the code most of a city's segments carry),",
    "else the PyPI phonenumbers 9.0.43 (Apache-2.0) zh geocoder description of the area code.",
    f"Generated {GENERATED} by tools/refdata/build_refdata.py. Columns: province, city, short, area_codes.",
], rows)

# ---- working-day calendar -----------------------------------------------------------------------
import chinese_calendar as cc  # noqa: E402
holidays = []
for d, name in sorted(cc.holidays.items()):
    holidays.append((d.isoformat(), "holiday", HOLIDAY_ZH.get(name, name) if (HOLIDAY_ZH := {
        "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
        "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
        "Anti-Fascist 70th Day": "抗战胜利纪念日",
    }) else name))
for d, name in sorted(cc.workdays.items()):
    if d.weekday() >= 5:
        holidays.append((d.isoformat(), "workday", HOLIDAY_ZH.get(name, name)))
holidays.sort()
years = sorted({int(d[:4]) for d, _, _ in holidays})
n_work = write("workdays.tsv", [
    "The PRC working-day calendar (法定节假日与调休): every official day off and every make-up working day",
    "(a Saturday or Sunday worked). Source: PyPI chinesecalendar 1.11.0 (MIT), from the State Council's",
    "annual notices. Years after the last published one count Monday–Friday (flagged as estimates).",
    "Supervisors may extend this file when the State Council publishes a new year.",
    f"Generated {GENERATED} by tools/refdata/build_refdata.py. Columns: date, kind (holiday|workday), name.",
    f"published-years: {years[0]}-{years[-1]}",
], holidays)

print(json.dumps({"divisions": n_div, "mobile_ranges": n_seg, "mobile_prefixes": count, "cities": n_city,
                  "workdays": n_work, "unresolved_cities": unresolved, "fallbacks": fallbacks, "years": [years[0], years[-1]]},
                 ensure_ascii=False, indent=1))
