"""Demo and benchmark catalogues.

``load_classic`` loads the twelve products of the classic QKart shop with their
local images; ``load_synthetic`` bulk-inserts N generated products across a few
dozen categories (100 000 in well under a minute on a laptop) for benchmarks.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from importlib import resources
from typing import Any

from slugify import slugify
from sqlalchemy import func, insert, select

from qkart.catalog.models import Category, Product
from qkart.core.db import utcnow
from qkart.core.money import Money
from qkart.core.shop import currency
from qkart.extensions import db

CATEGORY_IMAGES = {
    "books": "img/categories/books.svg",
    "electronics": "img/categories/electronics.svg",
    "fashion": "img/categories/fashion.svg",
    "home-kitchen": "img/categories/home-kitchen.svg",
    "sports": "img/categories/sports.svg",
}
GENERIC_IMAGE = "img/categories/generic.svg"
# A plausible parcel weight (grams) per image family, for weight-based shipping rates.
FAMILY_WEIGHTS = {
    "books": 450,
    "electronics": 700,
    "fashion": 600,
    "home-kitchen": 2_500,
    "sports": 1_200,
}

# Synthetic brands, so the brand filter has something to count.
BRANDS = ("Northwind", "Larkspur", "Fieldnote", "Harbor & Co", "Kestrel", "Mapleworks", "Oakline")

# Synthetic departments: (category name, image family, nouns sold there).
SYNTHETIC_DEPARTMENTS = [
    ("Running", "sports", ["Running Shoes", "Running Shorts", "Hydration Vest", "Sports Socks"]),
    ("Cycling", "sports", ["Bike Helmet", "Cycling Gloves", "Bike Light", "Water Bottle"]),
    ("Fitness", "sports", ["Yoga Mat", "Kettlebell", "Resistance Band", "Foam Roller"]),
    ("Racket Sports", "sports", ["Tennis Racquet", "Badminton Set", "Squash Balls", "Grip Tape"]),
    ("Team Sports", "sports", ["Football", "Basketball", "Shin Guards", "Training Cones"]),
    ("Outdoor", "sports", ["Trekking Poles", "Day Pack", "Camping Lantern", "Sleeping Bag"]),
    ("Menswear", "fashion", ["Oxford Shirt", "Chinos", "Wool Blazer", "Rain Jacket"]),
    ("Womenswear", "fashion", ["Wrap Dress", "Linen Blouse", "Denim Jacket", "Pleated Skirt"]),
    ("Shoes", "fashion", ["Leather Boots", "Canvas Sneakers", "Loafers", "Sandals"]),
    ("Bags", "fashion", ["Weekender Duffle", "Laptop Backpack", "Tote Bag", "Crossbody Bag"]),
    ("Jewellery", "fashion", ["Silver Ring", "Gold Hoops", "Pendant Necklace", "Charm Bracelet"]),
    ("Watches", "electronics", ["Leather Watch", "Diver Watch", "Smartwatch", "Chronograph"]),
    ("Audio", "electronics", ["Wireless Earbuds", "Headphones", "Bluetooth Speaker", "Soundbar"]),
    (
        "Computers",
        "electronics",
        ["Laptop Stand", "Mechanical Keyboard", "Wireless Mouse", "Webcam"],
    ),
    ("Tablets", "electronics", ["Tablet", "Tablet Case", "Stylus Pen", "Screen Protector"]),
    ("TV & Video", "electronics", ["4K Television", "Streaming Stick", "Projector", "TV Mount"]),
    ("Cameras", "electronics", ["Mirrorless Camera", "Camera Strap", "Tripod", "Memory Card"]),
    ("Phones", "electronics", ["Phone Case", "Fast Charger", "Power Bank", "USB-C Cable"]),
    ("Smart Home", "electronics", ["Smart Plug", "Video Doorbell", "Smart Bulb", "Thermostat"]),
    ("Kitchen", "home-kitchen", ["Chef Knife", "Cast Iron Pan", "Stock Pot", "Cutting Board"]),
    (
        "Coffee & Tea",
        "home-kitchen",
        ["Pour-over Kettle", "French Press", "Tea Set", "Coffee Grinder"],
    ),
    (
        "Tableware",
        "home-kitchen",
        ["Dinner Plates", "Glass Tumblers", "Serving Bowl", "Cutlery Set"],
    ),
    ("Lighting", "home-kitchen", ["Table Lamp", "Floor Lamp", "String Lights", "Desk Lamp"]),
    ("Furniture", "home-kitchen", ["Sofa Set", "Armchair", "Side Table", "Bookshelf"]),
    ("Bedding", "home-kitchen", ["Duvet Cover", "Pillow Pair", "Throw Blanket", "Mattress Topper"]),
    ("Bath", "home-kitchen", ["Bath Towels", "Bath Mat", "Soap Dispenser", "Shower Caddy"]),
    ("Garden", "home-kitchen", ["Planter", "Garden Hose", "Pruning Shears", "Bird Feeder"]),
    ("Appliances", "home-kitchen", ["Ceiling Fan", "Blender", "Air Fryer", "Toaster"]),
    ("Fiction", "books", ["Novel", "Short Stories", "Thriller", "Fantasy Saga"]),
    ("Non-fiction", "books", ["History", "Biography", "Popular Science", "Essays"]),
    (
        "Business",
        "books",
        ["Leadership Guide", "Economics Primer", "Startup Handbook", "Negotiation"],
    ),
    ("Children", "books", ["Picture Book", "Bedtime Stories", "Activity Book", "First Words"]),
    (
        "Cookbooks",
        "books",
        ["Baking Book", "Vegetarian Kitchen", "Street Food", "Weeknight Dinners"],
    ),
    ("Toys", "generic", ["Building Blocks", "Puzzle", "Board Game", "Plush Bear"]),
    ("Stationery", "generic", ["Notebook", "Fountain Pen", "Desk Organiser", "Planner"]),
    ("Pets", "generic", ["Dog Bed", "Cat Tree", "Pet Bowl", "Leash"]),
]
ADJECTIVES = [
    "Classic",
    "Premium",
    "Everyday",
    "Compact",
    "Deluxe",
    "Essential",
    "Urban",
    "Vintage",
    "Modern",
    "Eco",
    "Pro",
    "Lightweight",
    "Handmade",
    "Signature",
    "Travel",
    "Studio",
    "Heritage",
    "Nordic",
    "Coastal",
    "Midnight",
    "Sunrise",
    "Granite",
    "Velvet",
    "Copper",
]


def _classic_data() -> dict[str, Any]:
    path = resources.files("qkart.catalog") / "data" / "classic.json"
    return json.loads(path.read_text(encoding="utf-8"))


def catalogue_is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(Product))


def _category(name: str, position: int) -> Category:
    slug = slugify(name)
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        category = Category(name=name, slug=slug, position=position)
        db.session.add(category)
        db.session.flush()
    return category


def load_classic() -> int:
    """Load the classic catalogue (idempotent by SKU); returns how many products it added."""
    data = _classic_data()["products"]
    names = sorted({p["category"] for p in data})
    categories = {name: _category(name, i) for i, name in enumerate(names)}
    added = 0
    for index, item in enumerate(data, start=1):
        sku = f"QK-{index:04d}"
        if db.session.scalar(select(Product.id).where(Product.sku == sku)) is not None:
            continue
        slug = slugify(item["name"])
        db.session.add(
            Product(
                sku=sku,
                slug=slug,
                name=item["name"],
                description=item["description"],
                category=categories[item["category"]],
                price=Money.from_major(Decimal(str(item["price"])), currency()).amount,
                rating=Decimal(str(item["rating"])).quantize(Decimal("0.1")),
                rating_count=item["rating_count"],
                stock=item["stock"],
                featured=item["featured"],
                brand=item.get("brand", ""),
                attributes=item.get("attributes", {}),
                image=f"img/products/{slug}.svg",
                weight_grams=FAMILY_WEIGHTS.get(slugify(item["category"]), 1_000),
                tax_class="reduced" if item["category"] == "Books" else "standard",
            )
        )
        added += 1
    db.session.flush()
    return added


def _synthetic_rows(
    count: int, start: int, category_ids: list[tuple[int, str, list[str]]], rng: random.Random
) -> Iterator[dict[str, Any]]:
    now = utcnow()
    for n in range(start, start + count):
        category_id, family, nouns = category_ids[n % len(category_ids)]
        adjective = ADJECTIVES[(n // len(category_ids)) % len(ADJECTIVES)]
        noun = nouns[(n // (len(category_ids) * len(ADJECTIVES))) % len(nouns)]
        name = f"{adjective} {noun} {n:06d}"
        yield {
            "sku": f"SYN-{n:07d}",
            "slug": f"{slugify(name)}",
            "name": name,
            "description": f"{adjective} {noun.lower()} from our {family.replace('-', ' ')} range. "
            "Made to last, backed by a 30-day return policy.",
            "category_id": category_id,
            "price": rng.randrange(299, 99_999, 100) + 99,
            "rating": Decimal(rng.randint(10, 50)) / 10,
            "rating_count": rng.randint(0, 900),
            "stock": rng.choice([0, 1, 2, 3, 5, 8, 12, 25, 40, 80, 150]),
            "sold_count": rng.randint(0, 5000),
            "image": CATEGORY_IMAGES.get(family, GENERIC_IMAGE),
            "weight_grams": FAMILY_WEIGHTS.get(family, 1_000),
            "tax_class": "reduced" if family == "books" else "standard",
            "featured": n % 97 == 0,
            "brand": BRANDS[(n // 7) % len(BRANDS)],
            "is_active": True,
            "created_at": now,
        }


def load_synthetic(
    count: int, *, batch: int = 5000, progress: Callable[[int], None] | None = None
) -> int:
    """Append ``count`` generated products; SKUs continue after any earlier run."""
    departments = [
        (_category(name, 100 + i).id, family, nouns)
        for i, (name, family, nouns) in enumerate(SYNTHETIC_DEPARTMENTS)
    ]
    start = (
        db.session.scalar(
            select(func.count()).select_from(Product).where(Product.sku.like("SYN-%"))
        )
        or 0
    )
    rng = random.Random(start or 42)
    rows = _synthetic_rows(count, start, departments, rng)
    done = 0
    while done < count:
        chunk = [row for _, row in zip(range(min(batch, count - done)), rows, strict=False)]
        db.session.execute(insert(Product), chunk)
        db.session.commit()
        done += len(chunk)
        if progress:
            progress(len(chunk))
    return done
