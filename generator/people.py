"""Fake but realistic customer PII, vectorised and deterministic.

A vendor's customers are a pool of integer indices; each index has a fixed
first name, last name, phone number and e-mail, drawn once per vendor from
the seed, so a customer looks the same in every contact and every month.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import polars as pl

FIRST = {
    "mx": ["José", "María", "Juan", "Guadalupe", "Luis", "Ana", "Carlos", "Sofía", "Jorge", "Daniela",
           "Miguel", "Fernanda", "Alejandro", "Valeria", "Ricardo", "Paola", "Eduardo", "Ximena", "Héctor",
           "Lucía", "Arturo", "Mariana", "Roberto", "Gabriela", "Francisco", "Adriana"],
    "ph": ["Mark", "Angelica", "John Paul", "Maricel", "Jericho", "Kristine", "Rodel", "Jasmine", "Ramon",
           "Princess", "Christian", "Rowena", "Jayson", "Lorna", "Ariel", "Cherry", "Dennis", "Aileen",
           "Ronaldo", "Joy", "Marvin", "Liza", "Noel", "Rhea"],
    "es": ["Antonio", "Carmen", "Manuel", "Laura", "David", "Marta", "Javier", "Elena", "Pablo", "Lucía",
           "Sergio", "Cristina", "Álvaro", "Nuria", "Jordi", "Montserrat", "Raúl", "Beatriz", "Iñigo", "Pilar",
           "Adrián", "Irene", "Óscar", "Rocío"],
    "us": ["James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "William", "Linda", "David",
           "Elizabeth", "Daniel", "Jessica", "Matthew", "Sarah", "Anthony", "Karen", "Kevin", "Nancy", "Brian",
           "Lisa", "Jose", "Ashley", "Tyler", "Emily", "DeShawn", "Keisha"],
}
LAST = {
    "mx": ["Hernández", "García", "Martínez", "López", "González", "Rodríguez", "Pérez", "Sánchez", "Ramírez",
           "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez", "Torres", "Díaz", "Gutiérrez",
           "Ruiz", "Mendoza", "Aguilar", "Garza", "Treviño", "Villarreal", "Cantú"],
    "ph": ["Santos", "Reyes", "Cruz", "Bautista", "Ocampo", "Garcia", "Mendoza", "Torres", "Tomas",
           "Andrada", "Castillo", "Flores", "Villanueva", "Ramos", "Castro", "Rivera", "Aquino", "Navarro",
           "Salazar", "Mercado", "Dela Cruz", "Del Rosario", "Pascual", "Manalo"],
    "es": ["García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
           "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Alonso",
           "Gutiérrez", "Navarro", "Torres", "Domínguez", "Puig", "Ferrer", "Serra"],
    "us": ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Garcia", "Rodriguez",
           "Wilson", "Martinez", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee",
           "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Nowak", "O'Brien"],
}
DOMAINS = {
    "mx": ["gmail.com", "hotmail.com", "outlook.com", "yahoo.com.mx", "prodigy.net.mx"],
    "ph": ["gmail.com", "yahoo.com", "outlook.com", "ymail.com"],
    "es": ["gmail.com", "hotmail.es", "yahoo.es", "outlook.es", "telefonica.net"],
    "us": ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "aol.com", "comcast.net"],
}


def _ascii_slug(s: str) -> str:
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return "".join(ch for ch in s.lower() if ch.isalnum())


class CustomerPool:
    """Attributes of `size` customers of one vendor's market."""

    def __init__(self, market: str, size: int, rng: np.random.Generator, ref_base: int):
        self.market = market
        self.size = size
        self.ref_base = ref_base
        self.first = rng.integers(0, len(FIRST[market]), size, dtype=np.int16)
        self.last = rng.integers(0, len(LAST[market]), size, dtype=np.int16)
        self.phone = rng.integers(0, 10**7, size, dtype=np.int64)
        self.email_style = rng.integers(0, 4, size, dtype=np.int8)
        self.email_num = rng.integers(1, 99, size, dtype=np.int16)
        self.domain = rng.integers(0, len(DOMAINS[market]), size, dtype=np.int8)

    # --- vectorised string columns for the customer indices `idx` ------
    def refs(self, idx: np.ndarray) -> pl.Series:
        return "C" + pl.Series(idx.astype(np.int64) + self.ref_base).cast(pl.Utf8).str.zfill(9)

    def names(self, idx: np.ndarray) -> pl.Series:
        f = pl.Series(FIRST[self.market]).gather(self.first[idx].astype(np.int64))
        l_ = pl.Series(LAST[self.market]).gather(self.last[idx].astype(np.int64))
        return f + " " + l_

    def phones(self, idx: np.ndarray) -> pl.Series:
        return format_phone(self.market, self.phone[idx])

    def emails(self, idx: np.ndarray) -> pl.Series:
        f = pl.Series([_ascii_slug(x) for x in FIRST[self.market]]).gather(self.first[idx].astype(np.int64))
        l_ = pl.Series([_ascii_slug(x) for x in LAST[self.market]]).gather(self.last[idx].astype(np.int64))
        num = pl.Series(self.email_num[idx].astype(np.int64)).cast(pl.Utf8)
        dom = pl.Series(DOMAINS[self.market]).gather(self.domain[idx].astype(np.int64))
        style = pl.Series(self.email_style[idx].astype(np.int64))
        df = pl.DataFrame({"f": f, "l": l_, "n": num, "d": dom, "s": style})
        return df.select(
            pl.when(pl.col("s") == 0).then(pl.col("f") + "." + pl.col("l"))
            .when(pl.col("s") == 1).then(pl.col("f") + pl.col("l") + pl.col("n"))
            .when(pl.col("s") == 2).then(pl.col("f").str.slice(0, 1) + pl.col("l"))
            .otherwise(pl.col("f") + "_" + pl.col("l").str.slice(0, 3) + pl.col("n"))
            + "@" + pl.col("d")
        ).to_series()


def format_phone(market: str, digits7: np.ndarray) -> pl.Series:
    s = pl.Series(digits7.astype(np.int64)).cast(pl.Utf8).str.zfill(7)
    a, b = s.str.slice(0, 3), s.str.slice(3, 4)
    if market == "mx":  # Monterrey mobile: +52 81 1xxx xxxx
        return "+52 81 1" + a + " " + b
    if market == "ph":  # Globe/Smart mobile: +63 917 xxx xxxx
        return "+63 917 " + a + " " + b
    if market == "es":  # Spanish mobile: +34 6xx xxx xxx
        return "+34 6" + s.str.slice(0, 2) + " " + s.str.slice(2, 3) + " " + s.str.slice(5, 2) + "0"
    # US fictional 555 numbers in the Chicago area codes
    area = pl.Series(["312", "773", "872"]).gather(pl.Series(digits7.astype(np.int64) % 3))
    return "+1 " + area + "-555-" + b
