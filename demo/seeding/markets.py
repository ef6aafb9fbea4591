"""The three markets (Peru, Mexico, Spain): each one's creditor, portfolio and pools of people."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from .identities import (
    Person,
    mexico_curp,
    mexico_number,
    peru_dni,
    peru_landline,
    peru_mobile,
    spain_landline,
    spain_mobile,
    spain_nif,
)


@dataclass(frozen=True)
class Product:
    name: str
    code: str  # prefix of the account reference
    low: int  # original amount range, in the portfolio's currency
    high: int
    weight: int


@dataclass(frozen=True)
class Market:
    """One country's portfolio and the pools its debtors are drawn from."""

    country: str
    creditor: str
    portfolio: str
    currency: str
    time_zones: tuple[tuple[str, int], ...]  # (zone, weight); the first is the portfolio default
    preset: str
    share: float  # of --debtors
    external_prefix: str
    products: tuple[Product, ...]
    round_to: Decimal  # debtors promise round figures
    male_names: tuple[str, ...]
    female_names: tuple[str, ...]
    surnames: tuple[str, ...]
    email_domains: tuple[str, ...]
    english_rate: float
    national_id: Callable[[random.Random, Person], str]
    mobile: Callable[[random.Random, str], str]  # (rng, time zone) → E.164
    landline: Callable[[random.Random, str], str]

    @property
    def default_time_zone(self) -> str:
        return self.time_zones[0][0]


def _pool(names: str) -> tuple[str, ...]:
    """A pool of names written as one comma-separated string (given names may be compound)."""
    return tuple(name.strip() for name in names.split(","))


ENGLISH_MALE_NAMES = _pool("Oliver, James, George, William, Thomas, Harry, Jack, Daniel")
ENGLISH_FEMALE_NAMES = _pool("Emma, Charlotte, Sophie, Amelia, Lucy, Hannah, Grace, Chloe")
ENGLISH_SURNAMES = _pool("Smith, Jones, Taylor, Brown, Wilson, Evans, Walker, Wright, Hughes, Clarke")

PERU = Market(
    country="PE",
    creditor="Banco Andino",
    portfolio="Tarjetas y préstamos Lima 2026",
    currency="PEN",
    time_zones=(("America/Lima", 1),),
    preset="pe",
    share=0.40,
    external_prefix="BA",
    products=(
        Product("Tarjeta de crédito", "TC", 400, 18_000, 55),
        Product("Préstamo personal", "PP", 1_500, 35_000, 35),
        Product("Crédito vehicular", "CV", 12_000, 60_000, 10),
    ),
    round_to=Decimal("10"),
    male_names=_pool(
        "José, Luis, Carlos, Jorge, Juan, Miguel, César, Víctor, Julio, Manuel, Alberto, Raúl, Percy, Wilmer, "
        "Edwin, Jhon, Renzo, Giancarlo, Diego, Christian, Juan Carlos, Luis Alberto, Segundo, Hugo"
    ),
    female_names=_pool(
        "María, Rosa, Carmen, Ana, Luz, Julia, Elizabeth, Milagros, Sonia, Gladys, Flor, Katherine, Yesenia, "
        "Lucía, Fiorella, Rocío, Maribel, Pilar, Yolanda, Rosa María, Nelly, Karina"
    ),
    surnames=_pool(
        "Quispe, Flores, Sánchez, Rodríguez, García, Mamani, Huamán, Rojas, Chávez, Vásquez, Ramírez, Torres, "
        "Mendoza, Díaz, Castillo, Gonzales, Condori, Espinoza, Cárdenas, Paredes, Salazar, Gutiérrez, Pérez, "
        "Vargas, Ramos, Cruz, Medina, Aguilar, Ticona, Apaza, Villanueva, Zapata, Alvarado, Huanca, Cahuana, "
        "Palomino, Yupanqui, Ccori"
    ),
    email_domains=("gmail.com", "hotmail.com", "outlook.com", "yahoo.es", "hotmail.es"),
    english_rate=0.01,
    national_id=peru_dni,
    mobile=peru_mobile,
    landline=peru_landline,
)

MEXICO = Market(
    country="MX",
    creditor="Financiera del Norte",
    portfolio="Préstamos y tarjetas México 2026",
    currency="MXN",
    time_zones=(("America/Mexico_City", 80), ("America/Tijuana", 12), ("America/Cancun", 8)),
    preset="mx_fin",
    share=0.35,
    external_prefix="FN",
    products=(
        Product("Tarjeta de crédito", "TC", 3_000, 85_000, 45),
        Product("Préstamo personal", "PP", 5_000, 150_000, 35),
        Product("Crédito de nómina", "CN", 8_000, 120_000, 20),
    ),
    round_to=Decimal("50"),
    male_names=_pool(
        "José Luis, Juan Carlos, Miguel Ángel, Jesús, Francisco, Alejandro, Fernando, Ricardo, Eduardo, Arturo, "
        "Roberto, Sergio, Héctor, Javier, Jorge, Raúl, Óscar, Gerardo, Emiliano, Santiago, José Antonio, Martín"
    ),
    female_names=_pool(
        "Guadalupe, María Fernanda, Verónica, Leticia, Patricia, Adriana, Alejandra, Gabriela, Claudia, Araceli, "
        "Yolanda, Mariana, Ximena, Daniela, Itzel, Brenda, Karla, Norma, María Guadalupe, Rocío"
    ),
    surnames=_pool(
        "Hernández, García, Martínez, López, González, Pérez, Rodríguez, Sánchez, Ramírez, Cruz, Flores, Gómez, "
        "Morales, Vázquez, Reyes, Jiménez, Torres, Díaz, Gutiérrez, Ruiz, Mendoza, Aguilar, Ortiz, Moreno, "
        "Castillo, Romero, Álvarez, Méndez, Chávez, Rivera, Juárez, Domínguez, Herrera, Medina, Castro, Guzmán, "
        "Velázquez, Contreras, Luna, Ortega, Estrada, Bautista, Cervantes, Soto, Núñez, Ibarra"
    ),
    email_domains=("gmail.com", "hotmail.com", "outlook.com", "yahoo.com.mx", "prodigy.net.mx", "live.com.mx"),
    english_rate=0.01,
    national_id=mexico_curp,
    mobile=mexico_number,
    landline=mexico_number,
)

SPAIN = Market(
    country="ES",
    creditor="Telecomunicaciones Ibéricas",
    portfolio="Facturas impagadas España 2026",
    currency="EUR",
    time_zones=(("Europe/Madrid", 88), ("Atlantic/Canary", 12)),
    preset="es",
    share=0.25,
    external_prefix="TI",
    products=(
        Product("Factura de móvil", "MOV", 35, 450, 35),
        Product("Fibra y móvil", "FIB", 60, 900, 30),
        Product("Financiación de terminal", "TER", 150, 1_200, 20),
        Product("Factura de luz", "LUZ", 40, 700, 15),
    ),
    round_to=Decimal("5"),
    male_names=_pool(
        "Antonio, Manuel, José, Francisco, David, Juan, Javier, Daniel, Carlos, Jesús, Alejandro, Miguel, Rafael, "
        "Pablo, Sergio, Jordi, Álvaro, Adrián, Iker, Hugo, Íñigo, Xabier, José Manuel"
    ),
    female_names=_pool(
        "María Carmen, María, Carmen, Ana María, Laura, Isabel, Pilar, Cristina, Marta, Lucía, Elena, Raquel, "
        "Montserrat, Nerea, Ainhoa, Sara, Paula, Irene, Begoña, Rocío, María José"
    ),
    surnames=_pool(
        "García, Rodríguez, González, Fernández, López, Martínez, Sánchez, Pérez, Gómez, Martín, Jiménez, Ruiz, "
        "Hernández, Díaz, Moreno, Muñoz, Álvarez, Romero, Alonso, Gutiérrez, Navarro, Torres, Domínguez, "
        "Vázquez, Ramos, Gil, Serrano, Blanco, Molina, Suárez, Ortega, Delgado, Castro, Rubio, Marín, Sanz, "
        "Núñez, Iglesias, Garrido, Santana, Calvo, Gallego, Vidal, Cabrera, Herrero, Lorenzo, Pascual, Etxeberria"
    ),
    email_domains=("gmail.com", "hotmail.com", "outlook.es", "yahoo.es", "telefonica.net", "icloud.com"),
    english_rate=0.04,
    national_id=spain_nif,
    mobile=spain_mobile,
    landline=spain_landline,
)

MARKETS = (PERU, MEXICO, SPAIN)


def debtor_counts(total: int) -> list[int]:
    """Split --debtors over the markets by their shares; the last takes the remainder."""
    counts = [round(total * market.share) for market in MARKETS[:-1]]
    return [*counts, total - sum(counts)]
