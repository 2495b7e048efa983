"""The words the demo data set is made of: countries and their languages, sectors, themes.

Everything here is plain data. Codes (NACE Rev. 2.1, NUTS, country codes) are real and are
checked against ``synergia_shared.reference`` when a plan is generated, so a typo fails the
generator (and its unit test) rather than the API call.
"""

from __future__ import annotations

from dataclasses import dataclass

from synergia_shared.reference.competences import Competence as C
from synergia_shared.reference.ecosystems import Ecosystem as E


def words(text: str) -> tuple[str, ...]:
    """A comma-separated list (keeps the tables below readable)."""
    return tuple(word.strip() for word in text.split(",") if word.strip())


@dataclass(frozen=True)
class Locale:
    """How organisations and people are named in one language."""

    syllables: tuple[str, ...]  # brand names are two or three of these
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    university: tuple[str, ...]  # "{city}" patterns
    institute: tuple[str, ...]  # "{topic}" and "{city}" patterns
    cluster: tuple[str, ...]  # "{sector}" and "{city}" patterns
    agency: tuple[str, ...]  # public authority, "{city}"
    intermediary: tuple[str, ...]  # "{city}" or "{brand}"


LOCALES: dict[str, Locale] = {
    "en": Locale(
        syllables=words(
            "ash, bro, cal, den, ford, gran, hal, kent, lin, mor, ox, riv, stone, ton, wel, wick,"
            " york, brid, ley, ham"
        ),
        first_names=words("James, Emily, Oliver, Sophie, Daniel, Grace, Thomas, Hannah"),
        last_names=words("Smith, Walker, Hughes, Carter, Murphy, Bennett, Clarke, Ward"),
        university=("University of {city}", "{city} Technological University"),
        institute=("{city} Institute for {topic}", "National Centre for {topic}"),
        cluster=("{city} {sector} Cluster", "{sector} Network {city}"),
        agency=("{city} Regional Development Agency", "{city} City Council"),
        intermediary=(
            "{city} Innovation Hub",
            "{city} Chamber of Commerce",
            "{brand} Growth Partners",
        ),
    ),
    "de": Locale(
        syllables=words(
            "alt, berg, bach, dorn, eck, feld, grun, hof, kamp, lind, mar, nau, rein, stein, tal,"
            " wald, wer, zell, ried, horn"
        ),
        first_names=words("Lukas, Anna, Jonas, Lea, Felix, Marie, Tobias, Katrin"),
        last_names=words("Müller, Schmidt, Weber, Fischer, Wagner, Becker, Hoffmann, Schäfer"),
        university=("Universität {city}", "Technische Universität {city}", "Hochschule {city}"),
        institute=("Institut für {topic} {city}", "Zentrum für {topic} {city} e.V."),
        cluster=("Cluster {sector} {city}", "{sector}-Netzwerk {city} e.V."),
        agency=("Wirtschaftsförderung {city}", "Stadt {city}"),
        intermediary=(
            "Industrie- und Handelskammer {city}",
            "Gründerzentrum {city}",
            "{brand} Innovationsberatung GmbH",
        ),
    ),
    "fr": Locale(
        syllables=words(
            "bel, cha, dor, fon, gar, lan, mar, mont, noi, pel, quen, roch, sau, ter, val, vi, "
            "lis, bois, neu, cour"
        ),
        first_names=words("Camille, Louis, Chloé, Hugo, Léa, Julien, Manon, Nicolas"),
        last_names=words("Martin, Bernard, Dubois, Moreau, Laurent, Lefèvre, Girard, Roux"),
        university=("Université de {city}", "Université {city} Sciences"),
        institute=(
            "Centre de recherche en {topic} de {city}",
            "Institut {brand} de recherche en {topic}",
        ),
        cluster=("Pôle {sector} {city}", "Cluster {sector} {city}"),
        agency=("Agence de développement économique de {city}", "Ville de {city}"),
        intermediary=(
            "Chambre de commerce et d'industrie de {city}",
            "Technopôle {city}",
            "{brand} Conseil",
        ),
    ),
    "it": Locale(
        syllables=words(
            "bor, ca, del, fio, gal, lom, mar, nel, pa, ri, sal, tor, ven, vi, zan, ol, bra, cor,"
            " mon, ten"
        ),
        first_names=words("Giulia, Marco, Francesca, Luca, Chiara, Andrea, Sara, Matteo"),
        last_names=words("Rossi, Bianchi, Romano, Colombo, Ricci, Marino, Greco, Conti"),
        university=("Università degli Studi di {city}", "Politecnico di {city}"),
        institute=("Centro Ricerche {topic} {city}", "Istituto {brand} per la ricerca in {topic}"),
        cluster=("Distretto {sector} {city}", "Cluster {sector} {city}"),
        agency=("Agenzia per lo Sviluppo di {city}", "Comune di {city}"),
        intermediary=(
            "Camera di Commercio di {city}",
            "Parco Scientifico {city}",
            "{brand} Consulting S.r.l.",
        ),
    ),
    "es": Locale(
        syllables=words(
            "al, bar, ca, do, es, gue, la, mar, nor, pe, ro, san, te, val, vi, sol, ri, men, ce, to"
        ),
        first_names=words("Lucía, Javier, María, Pablo, Carmen, Diego, Elena, Sergio"),
        last_names=words("García, Fernández, López, Martínez, Sánchez, Romero, Navarro, Torres"),
        university=("Universidad de {city}", "Universidad Politécnica de {city}"),
        institute=(
            "Centro Tecnológico de {topic} de {city}",
            "Instituto de Investigación en {topic}",
        ),
        cluster=("Clúster {sector} de {city}", "Asociación Clúster {sector} {city}"),
        agency=("Agencia de Desarrollo Económico de {city}", "Ayuntamiento de {city}"),
        intermediary=(
            "Cámara de Comercio de {city}",
            "Parque Tecnológico de {city}",
            "{brand} Consultores S.L.",
        ),
    ),
    "pt": Locale(
        syllables=words(
            "al, bra, ca, dou, es, fa, lu, mar, no, por, ri, sa, tej, vi, zu, ga, mi, ro, sel, ta"
        ),
        first_names=words("Beatriz, João, Inês, Tiago, Mariana, Rui, Ana, Miguel"),
        last_names=words("Silva, Santos, Ferreira, Pereira, Costa, Oliveira, Rodrigues, Martins"),
        university=("Universidade de {city}", "Instituto Politécnico de {city}"),
        institute=("Centro de Investigação em {topic} de {city}", "Instituto {brand} de {topic}"),
        cluster=("Cluster {sector} {city}", "Associação {sector} {city}"),
        agency=("Agência de Desenvolvimento Regional de {city}", "Câmara Municipal de {city}"),
        intermediary=(
            "Associação Empresarial de {city}",
            "Parque de Ciência de {city}",
            "{brand} Consultoria Lda.",
        ),
    ),
    "nl": Locale(
        syllables=words(
            "berg, dam, dijk, ho, kamp, lin, meer, oost, ra, stee, ter, veld, vliet, wa, zee, bo,"
            " gen, hout, mo, ver"
        ),
        first_names=words("Daan, Sanne, Bram, Fleur, Jesse, Lotte, Thijs, Eva"),
        last_names=words("de Vries, Jansen, van Dijk, Bakker, Visser, Smit, de Boer, Mulder"),
        university=("Universiteit {city}", "Technische Universiteit {city}", "Hogeschool {city}"),
        institute=("Kenniscentrum {brand}", "{city} Institute for {topic}"),
        cluster=("{sector} Cluster {city}", "Stichting {sector} {city}"),
        agency=("Ontwikkelingsmaatschappij {city}", "Gemeente {city}"),
        intermediary=("Kamer van Koophandel {city}", "Innovatiehuis {city}", "{brand} Advies B.V."),
    ),
    "pl": Locale(
        syllables=words(
            "bor, cze, dom, gra, kra, lis, mar, no, pol, ra, sta, tor, wi, zal, ko, ben, li, mo, "
            "sko, tex"
        ),
        first_names=words("Anna, Piotr, Katarzyna, Tomasz, Magdalena, Marcin, Agnieszka, Paweł"),
        last_names=words(
            "Nowak, Kowalski, Wiśniewska, Wójcik, Kamińska, Lewandowski, Zielińska, Szymański"
        ),
        university=("Uniwersytet {city}", "Politechnika {city}"),
        institute=("Instytut Badawczy {brand}", "{city} Institute of {topic}"),
        cluster=("Klaster {sector} {city}", "{sector} Cluster {city}"),
        agency=("Agencja Rozwoju Regionalnego {city}", "Urząd Miasta {city}"),
        intermediary=(
            "Izba Gospodarcza {city}",
            "Park Technologiczny {city}",
            "{brand} Doradztwo sp. z o.o.",
        ),
    ),
    "el": Locale(
        syllables=words(
            "ar, del, ell, gal, kal, lam, mel, nik, ol, pan, ro, sta, the, ver, zef, ki, mo, ta, "
            "ly, os"
        ),
        first_names=words("Giorgos, Maria, Nikos, Eleni, Dimitris, Katerina, Kostas, Sofia"),
        last_names=words(
            "Papadopoulos, Nikolaou, Georgiou, Dimitriou, Ioannou, Konstantinou, Christodoulou, "
            "Vlachou"
        ),
        university=("University of {city}", "Technical University of {city}"),
        institute=("{city} Research Centre for {topic}", "Institute of {topic} {city}"),
        cluster=("{city} {sector} Cluster", "{sector} Cluster of {city}"),
        agency=("Region of {city}", "Development Agency of {city}"),
        intermediary=(
            "Chamber of Commerce and Industry of {city}",
            "{city} Technology Park",
            "{brand} Consulting I.K.E.",
        ),
    ),
    "sv": Locale(
        syllables=words(
            "berg, by, dal, fors, gran, holm, lund, mark, na, sjö, sten, strand, vik, ström, ek, "
            "al, li, tor, va, ny"
        ),
        first_names=words("Elsa, Erik, Maja, Oscar, Ebba, Lars, Ingrid, Johan"),
        last_names=words(
            "Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Lindqvist, Berg"
        ),
        university=("{city} universitet", "Kungliga Tekniska högskolan {city}"),
        institute=("{city} Institute of {topic}", "{brand} Research Institute"),
        cluster=("{sector} Cluster {city}", "{city} {sector} Klustret"),
        agency=("Region {city}", "{city} kommun"),
        intermediary=("{city} Handelskammare", "{city} Science Park", "{brand} Rådgivning AB"),
    ),
    "fi": Locale(
        syllables=words(
            "aal, hel, jär, kos, lah, mä, nie, ou, pel, rau, sa, tam, vaa, ki, lo, mi, no, ru, "
            "si, to"
        ),
        first_names=words("Aino, Mikko, Sanna, Juha, Laura, Antti, Noora, Ville"),
        last_names=words(
            "Korhonen, Virtanen, Mäkinen, Nieminen, Mäkelä, Hämäläinen, Laine, Heikkinen"
        ),
        university=("University of {city}", "{city} University of Technology"),
        institute=("{city} Centre for {topic}", "{brand} Research Centre"),
        cluster=("{sector} Cluster {city}", "{city} {sector} Network"),
        agency=("City of {city}", "{city} Region Development Company"),
        intermediary=("{city} Chamber of Commerce", "{city} Science Park", "{brand} Advisory Oy"),
    ),
    "da": Locale(
        syllables=words(
            "ager, bo, dal, gaard, holm, lund, mark, ny, rup, sted, strup, by, vig, kær, sø, ha, "
            "li, ve, ros, ting"
        ),
        first_names=words("Freja, Mads, Ida, Frederik, Sofie, Rasmus, Emma, Anders"),
        last_names=words(
            "Nielsen, Jensen, Hansen, Pedersen, Andersen, Christensen, Larsen, Sørensen"
        ),
        university=("{city} Universitet", "Danmarks Tekniske Universitet {city}"),
        institute=("{city} Institute for {topic}", "{brand} Teknologisk Institut"),
        cluster=("{sector} Cluster Denmark {city}", "{city} {sector} Klynge"),
        agency=("{city} Kommune", "Region {city}"),
        intermediary=("{city} Erhvervshus", "{city} Science Park", "{brand} Rådgivning ApS"),
    ),
    "cs": Locale(
        syllables=words(
            "bro, ces, dvo, hra, kar, lib, mor, no, pra, rad, sla, tra, vel, zla, ko, ma, te, vi,"
            " bor, len"
        ),
        first_names=words("Jan, Tereza, Petr, Lucie, Martin, Veronika, Jakub, Eva"),
        last_names=words("Novák, Svoboda, Dvořák, Černá, Procházka, Kučerová, Veselý, Horáková"),
        university=("Univerzita {city}", "Technická univerzita {city}"),
        institute=("Výzkumný ústav {brand}", "{city} Institute of {topic}"),
        cluster=("Klastr {sector} {city}", "{sector} Cluster {city}"),
        agency=("Regionální rozvojová agentura {city}", "Statutární město {city}"),
        intermediary=(
            "Hospodářská komora {city}",
            "Vědeckotechnický park {city}",
            "{brand} Consulting s.r.o.",
        ),
    ),
    "hu": Locale(
        syllables=words(
            "bal, csa, deb, fe, gyo, ke, lo, mis, nyi, pe, sze, ti, va, zal, bor, ho, ma, ra, so,"
            " to"
        ),
        first_names=words("Bence, Anna, Gábor, Eszter, Zoltán, Katalin, Péter, Réka"),
        last_names=words("Nagy, Kovács, Tóth, Szabó, Horváth, Varga, Kiss, Molnár"),
        university=("{city}i Tudományegyetem", "University of {city}"),
        institute=("{city} Research Institute for {topic}", "{brand} Kutatóintézet"),
        cluster=("{sector} Klaszter {city}", "{city} {sector} Cluster"),
        agency=("{city} Megyei Jogú Város Önkormányzata", "{city} Regional Development Agency"),
        intermediary=(
            "{city} Kereskedelmi és Iparkamara",
            "{city} Innovation Park",
            "{brand} Tanácsadó Kft.",
        ),
    ),
    "ro": Locale(
        syllables=words(
            "ar, bu, ca, do, fa, ia, lu, mu, ne, or, pra, ro, sib, tim, va, zi, bra, cor, mi, te"
        ),
        first_names=words("Andrei, Ioana, Mihai, Elena, Alexandru, Maria, Cristian, Ana"),
        last_names=words("Popescu, Ionescu, Popa, Dumitru, Stan, Munteanu, Constantin, Marin"),
        university=("Universitatea din {city}", "Universitatea Tehnică din {city}"),
        institute=("Institutul de Cercetare {brand}", "{city} Research Institute for {topic}"),
        cluster=("Clusterul {sector} {city}", "{sector} Cluster {city}"),
        agency=("Agenția pentru Dezvoltare Regională {city}", "Primăria {city}"),
        intermediary=(
            "Camera de Comerț și Industrie {city}",
            "Parcul Științific {city}",
            "{brand} Consulting S.R.L.",
        ),
    ),
    "sl": Locale(
        syllables=words(
            "bo, cel, dra, gor, kra, lju, mar, no, pi, ra, sav, tri, vel, zel, ka, le, mo, ro, "
            "so, vi"
        ),
        first_names=words("Luka, Nina, Matej, Eva, Jure, Maja, Rok, Sara"),
        last_names=words("Novak, Horvat, Kovačič, Krajnc, Zupančič, Potočnik, Kos, Vidmar"),
        university=("Univerza v {city}", "University of {city}"),
        institute=("Inštitut {brand}", "{city} Institute of {topic}"),
        cluster=("Grozd {sector} {city}", "{sector} Cluster {city}"),
        agency=("Regionalna razvojna agencija {city}", "Mestna občina {city}"),
        intermediary=(
            "Gospodarska zbornica {city}",
            "Tehnološki park {city}",
            "{brand} Svetovanje d.o.o.",
        ),
    ),
    "hr": Locale(
        syllables=words(
            "bra, dal, dub, gor, ist, kor, lik, mar, os, pla, ri, sla, tra, vuk, za, ne, mo, ro, "
            "sve, ka"
        ),
        first_names=words("Ivan, Ana, Marko, Petra, Luka, Ivana, Josip, Maja"),
        last_names=words("Horvat, Kovačević, Babić, Marić, Jurić, Novak, Knežević, Vuković"),
        university=("Sveučilište u {city}", "University of {city}"),
        institute=("Institut {brand}", "{city} Institute of {topic}"),
        cluster=("Klaster {sector} {city}", "{sector} Cluster Croatia {city}"),
        agency=("Regionalna razvojna agencija {city}", "Grad {city}"),
        intermediary=(
            "Hrvatska gospodarska komora {city}",
            "Tehnološki park {city}",
            "{brand} Savjetovanje d.o.o.",
        ),
    ),
    "bg": Locale(
        syllables=words(
            "bal, bur, dob, gab, kaz, lov, mar, ple, rus, sli, sta, tar, var, vra, ko, ni, ro, "
            "se, to, ya"
        ),
        first_names=words("Georgi, Maria, Ivan, Elena, Dimitar, Petya, Nikolay, Desislava"),
        last_names=words(
            "Ivanov, Petrova, Georgiev, Dimitrova, Nikolov, Stoyanova, Todorov, Angelova"
        ),
        university=("University of {city}", "Technical University of {city}"),
        institute=("{city} Institute of {topic}", "Centre for {topic} {city}"),
        cluster=("{sector} Cluster Bulgaria {city}", "{city} {sector} Cluster"),
        agency=("Municipality of {city}", "{city} Regional Development Agency"),
        intermediary=(
            "{city} Chamber of Commerce and Industry",
            "{city} Tech Park",
            "{brand} Consult EOOD",
        ),
    ),
    "sk": Locale(
        syllables=words(
            "bra, ko, lip, mar, nit, pre, rim, sla, tat, tren, vah, zil, be, do, hra, li, mo, po,"
            " ru, te"
        ),
        first_names=words("Martin, Zuzana, Peter, Lucia, Michal, Katarína, Tomáš, Jana"),
        last_names=words("Horváth, Kováč, Varga, Tóthová, Nagy, Baláž, Szabó, Molnárová"),
        university=("Univerzita v {city}", "Technická univerzita v {city}"),
        institute=("Výskumný ústav {brand}", "{city} Institute of {topic}"),
        cluster=("Klaster {sector} {city}", "{sector} Cluster Slovakia {city}"),
        agency=("Regionálna rozvojová agentúra {city}", "Mesto {city}"),
        intermediary=(
            "Obchodná komora {city}",
            "Vedecký park {city}",
            "{brand} Poradenstvo s.r.o.",
        ),
    ),
    "lt": Locale(
        syllables=words(
            "aug, bal, dar, gint, kau, lin, mar, nem, pa, rim, sau, tau, vil, zal, ju, ka, la, "
            "mi, ra, to"
        ),
        first_names=words("Lukas, Gabija, Matas, Emilija, Jonas, Austėja, Mantas, Ieva"),
        last_names=words(
            "Kazlauskas, Jankauskienė, Petrauskas, Stankevičius, Vasiliauskas, Žukauskaitė, "
            "Butkus, Paulauskas"
        ),
        university=("{city} University of Technology", "University of {city}"),
        institute=("Centre for {topic} {city}", "{city} Institute of {topic}"),
        cluster=("{sector} Cluster Lithuania {city}", "{city} {sector} Cluster"),
        agency=("{city} City Municipality", "{city} Region Development Agency"),
        intermediary=(
            "{city} Chamber of Commerce",
            "{city} Science Park",
            "{brand} Consulting UAB",
        ),
    ),
    "lv": Locale(
        syllables=words(
            "ai, bal, cē, dau, jel, kul, lie, mad, ri, sal, tal, val, ven, zil, ga, ka, li, me, "
            "ro, tu"
        ),
        first_names=words("Jānis, Anna, Mārtiņš, Laura, Roberts, Elīna, Artūrs, Līga"),
        last_names=words("Bērziņš, Kalniņa, Ozoliņš, Liepiņa, Krūmiņš, Vītola, Jansons, Balode"),
        university=("University of {city}", "{city} Technical University"),
        institute=("Institute of {topic} {city}", "{city} Centre for {topic}"),
        cluster=("{sector} Cluster Latvia {city}", "{city} {sector} Cluster"),
        agency=("{city} City Council", "{city} Planning Region"),
        intermediary=(
            "{city} Chamber of Commerce",
            "{city} Technology Park",
            "{brand} Consulting SIA",
        ),
    ),
    "et": Locale(
        syllables=words(
            "aa, har, jär, kal, lee, mä, nar, pär, rak, saa, tar, val, võ, hii, ka, lo, me, ru, "
            "si, to"
        ),
        first_names=words("Mari, Markus, Liis, Rasmus, Kadri, Siim, Kertu, Martin"),
        last_names=words("Tamm, Saar, Sepp, Mägi, Kask, Kukk, Rebane, Ilves"),
        university=("University of {city}", "{city} University of Technology"),
        institute=("{city} Centre for {topic}", "Institute of {topic} {city}"),
        cluster=("{sector} Cluster Estonia {city}", "{city} {sector} Cluster"),
        agency=("{city} City Government", "{city} County Development Centre"),
        intermediary=("{city} Chamber of Commerce", "{city} Science Park", "{brand} Consulting OÜ"),
    ),
    "nb": Locale(
        syllables=words(
            "berg, dal, fjord, haug, lie, lund, nes, rud, sand, stad, strand, vik, øy, ås, bø, "
            "ha, li, mo, ra, to"
        ),
        first_names=words("Nora, Jakob, Ingrid, Emil, Sofie, Henrik, Thea, Magnus"),
        last_names=words("Hansen, Johansen, Olsen, Larsen, Andersen, Pedersen, Nilsen, Berg"),
        university=("Universitetet i {city}", "{city} University of Science and Technology"),
        institute=("{brand} Forskningsinstitutt", "{city} Institute for {topic}"),
        cluster=("{sector} Cluster Norway {city}", "{city} {sector} Klynge"),
        agency=("{city} kommune", "{city} Region Business Development"),
        intermediary=("{city} Næringsråd", "{city} Science Park", "{brand} Rådgivning AS"),
    ),
    "is": Locale(
        syllables=words(
            "ak, bor, dal, fjör, haf, kef, lau, mos, rey, sel, vík, ís, ey, grí, ha, ka, lo, ra, "
            "ska, tur"
        ),
        first_names=words("Guðrún, Jón, Sigríður, Einar, Anna, Gunnar, Helga, Ólafur"),
        last_names=words(
            "Jónsdóttir, Sigurðsson, Guðmundsdóttir, Einarsson, Magnúsdóttir, Ólafsson, "
            "Stefánsson, Kristjánsdóttir"
        ),
        university=("University of {city}", "{city} University"),
        institute=("{city} Institute of {topic}", "Centre for {topic} Iceland"),
        cluster=("Iceland {sector} Cluster", "{city} {sector} Cluster"),
        agency=("{city} Municipality", "{city} Regional Development Office"),
        intermediary=(
            "Iceland Chamber of Commerce {city}",
            "{city} Innovation Centre",
            "{brand} Ráðgjöf ehf.",
        ),
    ),
    "tr": Locale(
        syllables=words(
            "ak, bay, çe, de, er, gök, kar, kı, mer, öz, san, tek, yıl, zen, ay, "  # noqa: RUF001
            "do, ka, ma, se, ta"
        ),
        first_names=words("Ayşe, Mehmet, Zeynep, Mustafa, Elif, Ahmet, Merve, Emre"),
        last_names=words(
            "Yılmaz, Kaya, Demir, Şahin, Çelik, Yıldız, Aydın, Öztürk"  # noqa: RUF001
        ),
        university=("{city} Üniversitesi", "{city} Teknik Üniversitesi"),
        institute=(
            "{brand} Araştırma Merkezi",  # noqa: RUF001
            "{city} Research Institute for {topic}",
        ),
        cluster=("{city} {sector} Kümesi", "{sector} Cluster {city}"),
        agency=(
            "{city} Kalkınma Ajansı",  # noqa: RUF001
            "{city} Büyükşehir Belediyesi",
        ),
        intermediary=(
            "{city} Ticaret Odası",  # noqa: RUF001
            "{city} Teknopark",
            "{brand} Danışmanlık Ltd. Şti.",  # noqa: RUF001
        ),
    ),
    "sr": Locale(
        syllables=words(
            "bel, bor, dri, gra, kra, lje, mor, niš, pan, ra, sre, šab, vra, zla, do, ko, me, no,"
            " sa, ti"
        ),
        first_names=words("Milica, Nikola, Jelena, Stefan, Ana, Marko, Jovana, Luka"),
        last_names=words(
            "Jovanović, Petrović, Nikolić, Marković, Đorđević, Stojanović, Ilić, Pavlović"
        ),
        university=("Univerzitet u {city}", "University of {city}"),
        institute=("Institut {brand}", "{city} Institute of {topic}"),
        cluster=("Klaster {sector} {city}", "{sector} Cluster Serbia {city}"),
        agency=("Regionalna razvojna agencija {city}", "Grad {city}"),
        intermediary=(
            "Privredna komora {city}",
            "Naučno-tehnološki park {city}",
            "{brand} Konsalting d.o.o.",
        ),
    ),
    "he": Locale(
        syllables=words(
            "ari, bar, dan, el, gal, ha, kin, lev, mor, nir, or, ram, shal, tal, yam, zi, ne, ro,"
            " sha, ve"
        ),
        first_names=words("Noa, Yosef, Tamar, Daniel, Maya, Itai, Shira, Omer"),
        last_names=words("Cohen, Levi, Mizrahi, Peretz, Biton, Friedman, Avraham, Katz"),
        university=("{city} University", "{city} Institute of Technology"),
        institute=("{city} Centre for {topic}", "Institute of {topic} {city}"),
        cluster=("{city} {sector} Cluster", "Israel {sector} Cluster {city}"),
        agency=("{city} Municipality", "{city} Economic Development Authority"),
        intermediary=(
            "{city} Chamber of Commerce",
            "{city} Technology Incubator",
            "{brand} Innovation Ltd",
        ),
    ),
    "ja": Locale(
        syllables=words(
            "a, da, fu, ha, ka, ki, mi, na, o, sa, shi, ta, to, ya, yo, ku, ma, ri, su, wa"
        ),
        first_names=words("Haruto, Yui, Sota, Aoi, Ren, Hina, Yuki, Kenji"),
        last_names=words("Sato, Suzuki, Takahashi, Tanaka, Watanabe, Ito, Yamamoto, Nakamura"),
        university=("{city} University", "{city} Institute of Technology"),
        institute=("{city} Research Institute for {topic}", "{brand} Research Laboratory"),
        cluster=("{city} {sector} Cluster", "Japan {sector} Consortium {city}"),
        agency=("{city} Prefectural Government", "{city} Industrial Promotion Agency"),
        intermediary=(
            "{city} Chamber of Commerce and Industry",
            "{city} Incubation Centre",
            "{brand} Consulting K.K.",
        ),
    ),
}


@dataclass(frozen=True)
class CountryProfile:
    code: str  # EU form (EL, UK)
    weight: float  # share of actors, roughly as in Horizon 2020 participations
    locale: str
    cities: tuple[str, ...]
    sme_forms: tuple[str, ...]  # legal forms of small companies
    large_forms: tuple[str, ...]
    tld: str
    nuts_version: str | None  # None: no NUTS regions for this country


COUNTRIES: tuple[CountryProfile, ...] = (
    # EU Member States (NUTS 2024)
    CountryProfile(
        "DE",
        14,
        "de",
        words("Berlin, München, Stuttgart, Dresden, Hamburg, Aachen, Karlsruhe, Leipzig"),
        words("GmbH, GmbH, UG, GmbH & Co. KG"),
        words("AG, SE"),
        "de",
        "2024",
    ),
    CountryProfile(
        "FR",
        11,
        "fr",
        words("Lyon, Toulouse, Grenoble, Nantes, Bordeaux, Lille, Rennes, Marseille"),
        words("SAS, SARL, SAS"),
        words("SA, SE"),
        "fr",
        "2024",
    ),
    CountryProfile(
        "IT",
        11,
        "it",
        words("Milano, Torino, Bologna, Firenze, Padova, Napoli, Bari, Genova"),
        words("S.r.l., S.r.l., S.n.c."),
        words("S.p.A."),
        "it",
        "2024",
    ),
    CountryProfile(
        "ES",
        12,
        "es",
        words("Madrid, Barcelona, Valencia, Bilbao, Sevilla, Zaragoza, Málaga, Valladolid"),
        words("S.L., S.L., S.L.U."),
        words("S.A."),
        "es",
        "2024",
    ),
    CountryProfile(
        "NL",
        6,
        "nl",
        words("Eindhoven, Delft, Rotterdam, Utrecht, Groningen, Twente"),
        words("B.V."),
        words("N.V."),
        "nl",
        "2024",
    ),
    CountryProfile(
        "BE",
        5,
        "fr",
        words("Liège, Namur, Charleroi, Mons, Louvain-la-Neuve"),
        words("SRL, SA"),
        words("SA, NV"),
        "be",
        "2024",
    ),
    CountryProfile(
        "AT",
        4,
        "de",
        words("Wien, Graz, Linz, Innsbruck, Salzburg"),
        words("GmbH, OG"),
        words("AG"),
        "at",
        "2024",
    ),
    CountryProfile(
        "PL",
        4,
        "pl",
        words("Warszawa, Kraków, Wrocław, Poznań, Gdańsk, Łódź"),
        words("sp. z o.o."),
        words("S.A."),
        "pl",
        "2024",
    ),
    CountryProfile(
        "EL",
        5,
        "el",
        words("Athens, Thessaloniki, Patras, Heraklion, Volos, Ioannina"),
        words("I.K.E., E.P.E., S.A."),
        words("S.A."),
        "gr",
        "2024",
    ),
    CountryProfile(
        "PT",
        4,
        "pt",
        words("Lisboa, Porto, Braga, Coimbra, Aveiro, Faro"),
        words("Lda., Unipessoal Lda."),
        words("S.A."),
        "pt",
        "2024",
    ),
    CountryProfile(
        "SE",
        3,
        "sv",
        words("Stockholm, Göteborg, Malmö, Uppsala, Linköping, Luleå"),
        words("AB"),
        words("AB (publ)"),
        "se",
        "2024",
    ),
    CountryProfile(
        "FI",
        3,
        "fi",
        words("Helsinki, Espoo, Tampere, Oulu, Turku"),
        words("Oy"),
        words("Oyj"),
        "fi",
        "2024",
    ),
    CountryProfile(
        "DK",
        3,
        "da",
        words("København, Aarhus, Odense, Aalborg"),
        words("ApS, A/S"),
        words("A/S"),
        "dk",
        "2024",
    ),
    CountryProfile(
        "IE",
        2,
        "en",
        words("Dublin, Cork, Galway, Limerick"),
        words("Ltd, Teoranta"),
        words("plc, DAC"),
        "ie",
        "2024",
    ),
    CountryProfile(
        "CZ",
        2,
        "cs",
        words("Praha, Brno, Ostrava, Plzeň"),
        words("s.r.o."),
        words("a.s."),
        "cz",
        "2024",
    ),
    CountryProfile(
        "HU",
        2,
        "hu",
        words("Budapest, Debrecen, Szeged, Győr, Pécs"),
        words("Kft., Bt."),
        words("Zrt., Nyrt."),
        "hu",
        "2024",
    ),
    CountryProfile(
        "RO",
        2,
        "ro",
        words("București, Cluj-Napoca, Iași, Timișoara, Brașov"),
        words("S.R.L."),
        words("S.A."),
        "ro",
        "2024",
    ),
    CountryProfile(
        "SI",
        2,
        "sl",
        words("Ljubljana, Maribor, Celje, Kranj"),
        words("d.o.o."),
        words("d.d."),
        "si",
        "2024",
    ),
    CountryProfile(
        "HR",
        1,
        "hr",
        words("Zagreb, Split, Rijeka, Osijek"),
        words("d.o.o."),
        words("d.d."),
        "hr",
        "2024",
    ),
    CountryProfile(
        "BG",
        1,
        "bg",
        words("Sofia, Plovdiv, Varna, Burgas"),
        words("EOOD, OOD"),
        words("AD"),
        "bg",
        "2024",
    ),
    CountryProfile(
        "SK",
        1,
        "sk",
        words("Bratislava, Košice, Žilina, Trnava"),
        words("s.r.o."),
        words("a.s."),
        "sk",
        "2024",
    ),
    CountryProfile(
        "LT",
        1,
        "lt",
        words("Vilnius, Kaunas, Klaipėda"),
        words("UAB, MB"),
        words("AB"),
        "lt",
        "2024",
    ),
    CountryProfile(
        "LV",
        1,
        "lv",
        words("Rīga, Jelgava, Ventspils"),
        words("SIA"),
        words("AS"),
        "lv",
        "2024",
    ),
    CountryProfile(
        "EE",
        1,
        "et",
        words("Tallinn, Tartu, Pärnu"),
        words("OÜ"),
        words("AS"),
        "ee",
        "2024",
    ),
    CountryProfile(
        "CY",
        1,
        "el",
        words("Nicosia, Limassol, Larnaca"),
        words("Ltd"),
        words("Plc"),
        "cy",
        "2024",
    ),
    CountryProfile(
        "LU",
        1,
        "fr",
        words("Luxembourg, Esch-sur-Alzette"),
        words("S.à r.l."),
        words("S.A."),
        "lu",
        "2024",
    ),
    CountryProfile(
        "MT",
        0.5,
        "en",
        words("Valletta, Birkirkara"),
        words("Ltd"),
        words("p.l.c."),
        "mt",
        "2024",
    ),
    # The United Kingdom (H2020-era data; its last NUTS codes are NUTS 2016)
    CountryProfile(
        "UK",
        7,
        "en",
        words("London, Manchester, Cambridge, Edinburgh, Bristol, Glasgow, Sheffield, Cardiff"),
        words("Ltd, Ltd, LLP"),
        words("plc"),
        "co.uk",
        "2016",
    ),
    # H2020 Associated Countries (NUTS-coded Statistical Regions where the list has them)
    CountryProfile(
        "NO",
        2,
        "nb",
        words("Oslo, Bergen, Trondheim, Stavanger, Tromsø"),
        words("AS"),
        words("ASA"),
        "no",
        "2024",
    ),
    CountryProfile(
        "CH",
        2,
        "de",
        words("Zürich, Basel, Bern, Lausanne, Lugano"),
        words("GmbH, AG, Sàrl"),
        words("AG, SA"),
        "ch",
        "2024",
    ),
    CountryProfile(
        "IL",
        1,
        "he",
        words("Tel Aviv, Haifa, Jerusalem, Beersheba"),
        words("Ltd"),
        words("Ltd"),
        "co.il",
        None,
    ),
    CountryProfile(
        "TR",
        1.5,
        "tr",
        words("İstanbul, Ankara, İzmir, Bursa, Kocaeli"),
        words("Ltd. Şti."),
        words("A.Ş."),
        "com.tr",
        "2024",
    ),
    CountryProfile(
        "RS",
        1,
        "sr",
        words("Beograd, Novi Sad, Niš, Kragujevac"),
        words("d.o.o."),
        words("a.d."),
        "rs",
        "2024",
    ),
    CountryProfile(
        "IS",
        0.5,
        "is",
        words("Reykjavík, Akureyri"),
        words("ehf."),
        words("hf."),
        "is",
        "2024",
    ),
    # Third countries: allowed, flagged
    CountryProfile(
        "US",
        0.5,
        "en",
        words("Boston, San Jose, Austin, Pittsburgh"),
        words("Inc., LLC"),
        words("Inc., Corp."),
        "com",
        None,
    ),
    CountryProfile(
        "JP",
        0.3,
        "ja",
        words("Tokyo, Osaka, Nagoya, Fukuoka"),
        words("K.K., G.K."),
        words("Corporation, K.K."),
        "co.jp",
        None,
    ),
)


@dataclass(frozen=True)
class Sector:
    """What actors of one industrial ecosystem look like."""

    ecosystem: E
    weight: float
    phrase: str  # "agri-food producers"
    label: str  # short, for names: "Agri-Food"
    words: tuple[str, ...]  # for company names
    topic: str  # for research institutes
    nace: tuple[str, ...]  # NACE Rev. 2.1, canonical form
    competences: tuple[C, ...]
    keywords: tuple[str, ...]
    s3: tuple[str, ...]  # smart-specialisation priorities


SECTORS: tuple[Sector, ...] = (
    Sector(
        E.AEROSPACE_DEFENCE,
        3,
        "aerospace and defence manufacturers",
        "Aerospace",
        words("Aero, Avionics, Aerospace, Space Systems, Composites"),
        "Aeronautics",
        words("C30.31, C30.32, C33.16, C26.51, C25.40"),
        (
            C.ADVANCED_MATERIALS,
            C.ADVANCED_MANUFACTURING,
            C.ADDITIVE_MANUFACTURING,
            C.PHOTONICS,
            C.TESTING_CERTIFICATION,
            C.CYBERSECURITY,
        ),
        words(
            "carbon fibre composites, satellite components, drones, non-destructive testing, "
            "avionics software"
        ),
        words("Aeronautics and space, Security and defence technologies"),
    ),
    Sector(
        E.AGRI_FOOD,
        10,
        "agri-food producers",
        "Agri-Food",
        words("Foods, Agro, Farm, Dairy, Organics, Harvest"),
        "Food Science",
        words("A01.11, A01.21, A01.26, A03.21, C10.41, C10.51, C10.71, C10.85, C11.02"),
        (
            C.FOOD_PROCESSING,
            C.BIOTECHNOLOGY,
            C.IOT,
            C.LOGISTICS,
            C.DATA_ANALYTICS,
            C.CIRCULAR_ECONOMY,
        ),
        words(
            "precision agriculture, food traceability, olive oil, aquaculture, cold chain, food "
            "waste valorisation, plant-based protein"
        ),
        words(
            "Sustainable agri-food value chains, Precision agriculture, Blue economy and "
            "aquaculture"
        ),
    ),
    Sector(
        E.CONSTRUCTION,
        7,
        "construction companies",
        "Construction",
        words("Build, Construct, Structures, Timber, Concrete"),
        "Building Technology",
        words("F41.00, F42.11, F43.21, C23.61, N71.12, C22.23"),
        (
            C.ADVANCED_MATERIALS,
            C.ENERGY_EFFICIENCY,
            C.CIRCULAR_ECONOMY,
            C.ROBOTICS,
            C.DATA_ANALYTICS,
            C.PROTOTYPING,
        ),
        words(
            "building information modelling, digital twin, cross-laminated timber, low-carbon "
            "concrete, deep renovation, modular construction"
        ),
        words("Sustainable construction and energy-efficient buildings, Smart cities"),
    ),
    Sector(
        E.CULTURAL_CREATIVE,
        5,
        "creative industries",
        "Creative Industries",
        words("Studio, Media, Design, Arts, Games"),
        "Digital Culture",
        words("J58.11, J58.21, J59.11, N74.11, N74.12, S90.11, S90.20"),
        (
            C.DESIGN_CREATIVITY,
            C.ICT,
            C.NEW_BUSINESS_MODELS,
            C.DATA_ANALYTICS,
            C.ARTIFICIAL_INTELLIGENCE,
        ),
        words(
            "virtual reality, video games, industrial design, digital heritage, immersive "
            "experiences, 3d animation"
        ),
        words("Cultural and creative industries, Digital heritage"),
    ),
    Sector(
        E.DIGITAL,
        12,
        "digital companies",
        "Digital",
        words("Soft, Data, Cloud, Digital, Systems, Labs, Analytics"),
        "Computer Science",
        words("K62.10, K62.20, K62.90, K63.10, J58.29, K61.10"),
        (C.ICT, C.ARTIFICIAL_INTELLIGENCE, C.CYBERSECURITY, C.DATA_ANALYTICS, C.IOT, C.ROBOTICS),
        words(
            "machine learning, edge computing, blockchain, digital twin, computer vision, cloud "
            "platform, 5g"
        ),
        words("ICT and digital transformation, Artificial intelligence and data, Cybersecurity"),
    ),
    Sector(
        E.ELECTRONICS,
        6,
        "electronics manufacturers",
        "Electronics",
        words("Electronics, Semicon, Sensors, Photonics, Microsystems"),
        "Microelectronics",
        words("C26.11, C26.12, C26.20, C26.51, C27.11, C27.90"),
        (
            C.MICRO_NANO_ELECTRONICS,
            C.PHOTONICS,
            C.NANOTECHNOLOGY,
            C.IOT,
            C.ADVANCED_MANUFACTURING,
            C.TESTING_CERTIFICATION,
        ),
        words(
            "printed electronics, power electronics, mems sensors, lidar, laser systems, chip "
            "design"
        ),
        words("Micro- and nanoelectronics, Photonics"),
    ),
    Sector(
        E.ENERGY_INTENSIVE,
        6,
        "energy-intensive industries",
        "Process Industry",
        words("Steel, Chemicals, Metals, Glass, Paper, Polymers"),
        "Process Engineering",
        words("C24.10, C20.14, C20.16, C20.59, C23.51, C17.12, C22.21"),
        (
            C.RESOURCE_EFFICIENCY,
            C.ENERGY_EFFICIENCY,
            C.MATERIALS_RECYCLING,
            C.ADVANCED_MATERIALS,
            C.INDUSTRIAL_BIOTECHNOLOGY,
            C.ECO_INNOVATION,
        ),
        words(
            "green steel, industrial symbiosis, waste heat recovery, bio-based chemicals, carbon "
            "capture, recycled polymers"
        ),
        words("Industrial decarbonisation, Advanced materials and chemistry"),
    ),
    Sector(
        E.RENEWABLE_ENERGY,
        8,
        "renewable energy companies",
        "Clean Energy",
        words("Energy, Solar, Wind, Hydrogen, Power, Renewables"),
        "Energy Systems",
        words("D35.12, D35.15, D35.16, C28.11, F42.22, C27.11"),
        (
            C.RENEWABLE_ENERGY,
            C.ENERGY_EFFICIENCY,
            C.IOT,
            C.DATA_ANALYTICS,
            C.ADVANCED_MATERIALS,
            C.ECO_INNOVATION,
        ),
        words(
            "green hydrogen, offshore wind, photovoltaics, battery storage, smart grids, heat "
            "pumps, energy communities"
        ),
        words("Clean energy transition, Hydrogen economy, Smart grids"),
    ),
    Sector(
        E.HEALTH,
        9,
        "health and life sciences companies",
        "Health",
        words("Med, Pharma, Bio, Health, Diagnostics, Care"),
        "Biomedicine",
        words("C21.10, C21.20, C32.50, R86.10, R86.22, N72.10"),
        (
            C.BIOTECHNOLOGY,
            C.INDUSTRIAL_BIOTECHNOLOGY,
            C.ARTIFICIAL_INTELLIGENCE,
            C.DATA_ANALYTICS,
            C.TESTING_CERTIFICATION,
            C.NANOTECHNOLOGY,
        ),
        words(
            "medical devices, in-vitro diagnostics, telemedicine, drug delivery, active ageing, "
            "wearable sensors"
        ),
        words("Health and life sciences, Active and healthy ageing, Personalised medicine"),
    ),
    Sector(
        E.MOBILITY_TRANSPORT_AUTOMOTIVE,
        8,
        "mobility and automotive suppliers",
        "Mobility",
        words("Motion, Mobility, Automotive, Logistics, Rail, Drive"),
        "Transport Research",
        words("C29.10, C29.32, H49.20, H49.41, H52.10, H52.24, C30.11"),
        (
            C.ADVANCED_MANUFACTURING,
            C.ROBOTICS,
            C.IOT,
            C.LOGISTICS,
            C.ARTIFICIAL_INTELLIGENCE,
            C.ENERGY_EFFICIENCY,
        ),
        words(
            "electric vehicles, battery packs, autonomous driving, last-mile delivery, e-bikes, "
            "intermodal logistics"
        ),
        words("Sustainable mobility, Automotive and e-mobility, Logistics and ports"),
    ),
    Sector(
        E.PROXIMITY_SOCIAL_ECONOMY,
        3,
        "social economy enterprises",
        "Social Economy",
        words("Community, Social, Coop, Civic, Care"),
        "Social Innovation",
        words("R88.10, T94.99, E38.32, T96.99, Q85.59"),
        (
            C.NEW_BUSINESS_MODELS,
            C.CIRCULAR_ECONOMY,
            C.DESIGN_CREATIVITY,
            C.ICT,
            C.MATERIALS_RECYCLING,
        ),
        words(
            "repair cafes, social inclusion, civil protection, local services, reuse centres, "
            "community energy"
        ),
        words("Social innovation, Civil security"),
    ),
    Sector(
        E.RETAIL,
        5,
        "retailers",
        "Retail",
        words("Retail, Market, Trade, Shop, Commerce"),
        "Consumer Research",
        words("G47.11, G47.12, G47.91, G46.90, G46.19"),
        (
            C.DATA_ANALYTICS,
            C.LOGISTICS,
            C.NEW_BUSINESS_MODELS,
            C.ARTIFICIAL_INTELLIGENCE,
            C.INTERNATIONALISATION,
        ),
        words(
            "e-commerce, omnichannel retail, recommendation engines, sustainable packaging, "
            "customer analytics"
        ),
        words("Digital commerce, Consumer goods"),
    ),
    Sector(
        E.TEXTILES,
        5,
        "textile and fashion companies",
        "Textiles",
        words("Textiles, Fashion, Fibres, Wool, Knit"),
        "Textile Engineering",
        words("C13.20, C13.96, C14.10, C14.21, C14.24"),
        (
            C.ADVANCED_MATERIALS,
            C.CIRCULAR_ECONOMY,
            C.DESIGN_CREATIVITY,
            C.MATERIALS_RECYCLING,
            C.NANOTECHNOLOGY,
        ),
        words(
            "smart textiles, technical textiles, textile recycling, sustainable fashion, natural "
            "dyes, wearables"
        ),
        words("Textiles and fashion, Smart and technical textiles"),
    ),
    Sector(
        E.TOURISM,
        5,
        "tourism operators",
        "Tourism",
        words("Travel, Tours, Hospitality, Resorts, Experiences"),
        "Tourism Studies",
        words("I55.10, I56.11, O79.11, S93.21, S91.21"),
        (
            C.ICT,
            C.NEW_BUSINESS_MODELS,
            C.DESIGN_CREATIVITY,
            C.DATA_ANALYTICS,
            C.INTERNATIONALISATION,
        ),
        words(
            "sustainable tourism, cultural routes, booking platform, agritourism, visitor "
            "analytics, wellness tourism"
        ),
        words("Sustainable and cultural tourism, Blue growth"),
    ),
)

# Research topics in the languages whose institute names above take one ("{topic}").
LOCAL_TOPICS: dict[E, dict[str, str]] = {
    E.AEROSPACE_DEFENCE: {
        "de": "Luft- und Raumfahrt",
        "fr": "aéronautique",
        "it": "aerospazio",
        "es": "aeronáutica",
        "pt": "aeronáutica",
    },
    E.AGRI_FOOD: {
        "de": "Lebensmitteltechnologie",
        "fr": "agroalimentaire",
        "it": "agroalimentare",
        "es": "agroalimentación",
        "pt": "agroalimentar",
    },
    E.CONSTRUCTION: {
        "de": "Bautechnik",
        "fr": "construction durable",
        "it": "edilizia sostenibile",
        "es": "construcción sostenible",
        "pt": "construção sustentável",
    },
    E.CULTURAL_CREATIVE: {
        "de": "Digitale Kultur",
        "fr": "industries créatives",
        "it": "industrie creative",
        "es": "industrias creativas",
        "pt": "indústrias criativas",
    },
    E.DIGITAL: {
        "de": "Informatik",
        "fr": "informatique",
        "it": "informatica",
        "es": "informática",
        "pt": "informática",
    },
    E.ELECTRONICS: {
        "de": "Mikroelektronik",
        "fr": "microélectronique",
        "it": "microelettronica",
        "es": "microelectrónica",
        "pt": "microeletrónica",
    },
    E.ENERGY_INTENSIVE: {
        "de": "Verfahrenstechnik",
        "fr": "génie des procédés",
        "it": "ingegneria di processo",
        "es": "ingeniería de procesos",
        "pt": "engenharia de processos",
    },
    E.RENEWABLE_ENERGY: {
        "de": "Energiesysteme",
        "fr": "systèmes énergétiques",
        "it": "sistemi energetici",
        "es": "sistemas energéticos",
        "pt": "sistemas de energia",
    },
    E.HEALTH: {
        "de": "Biomedizin",
        "fr": "biomédecine",
        "it": "biomedicina",
        "es": "biomedicina",
        "pt": "biomedicina",
    },
    E.MOBILITY_TRANSPORT_AUTOMOTIVE: {
        "de": "Verkehrsforschung",
        "fr": "mobilité durable",
        "it": "mobilità sostenibile",
        "es": "movilidad sostenible",
        "pt": "mobilidade sustentável",
    },
    E.PROXIMITY_SOCIAL_ECONOMY: {
        "de": "Soziale Innovation",
        "fr": "innovation sociale",
        "it": "innovazione sociale",
        "es": "innovación social",
        "pt": "inovação social",
    },
    E.RETAIL: {
        "de": "Handelsforschung",
        "fr": "commerce",
        "it": "commercio",
        "es": "comercio",
        "pt": "comércio",
    },
    E.TEXTILES: {
        "de": "Textiltechnik",
        "fr": "textile",
        "it": "tessile",
        "es": "textil",
        "pt": "têxtil",
    },
    E.TOURISM: {
        "de": "Tourismusforschung",
        "fr": "tourisme",
        "it": "turismo",
        "es": "turismo",
        "pt": "turismo",
    },
}

# NACE Rev. 2.1 codes of what the organisation itself does, for kinds that are not defined
# by their sector.
KIND_NACE: dict[str, tuple[str, ...]] = {
    "research_organisation": ("N72.10", "N72.20", "N71.20"),
    "university": ("Q85.40",),
    "cluster_organisation": ("T94.11", "N70.20"),
    "sme_intermediary": ("N70.20", "O82.99", "T94.11"),
    "investor": ("L64.99", "L66.30", "L64.21"),
    "public_authority": ("P84.11", "P84.13"),
    "other": ("T94.99", "M68.20"),
}

# Keywords per competence, for offers, needs and the actors' keyword lists.
COMPETENCE_KEYWORDS: dict[C, tuple[str, ...]] = {
    C.MICRO_NANO_ELECTRONICS: words("asic design, power semiconductors, sensor chips"),
    C.NANOTECHNOLOGY: words("nanocoatings, graphene, nanoparticles"),
    C.PHOTONICS: words("laser processing, optical sensing, hyperspectral imaging"),
    C.ADVANCED_MATERIALS: words("composites, lightweight alloys, bio-based polymers"),
    C.INDUSTRIAL_BIOTECHNOLOGY: words("fermentation, enzymes, biorefinery"),
    C.ADVANCED_MANUFACTURING: words("industry 4.0, cnc machining, process automation"),
    C.ICT: words("software development, cloud services, mobile apps"),
    C.ARTIFICIAL_INTELLIGENCE: words("machine learning, computer vision, predictive maintenance"),
    C.CYBERSECURITY: words("penetration testing, secure iot, identity management"),
    C.IOT: words("sensor networks, lorawan, remote monitoring"),
    C.ROBOTICS: words("collaborative robots, autonomous vehicles, robotic picking"),
    C.ADDITIVE_MANUFACTURING: words("3d printing, metal additive manufacturing, rapid tooling"),
    C.DATA_ANALYTICS: words("big data, dashboards, demand forecasting"),
    C.ECO_INNOVATION: words("life cycle assessment, eco-design, low-carbon products"),
    C.RESOURCE_EFFICIENCY: words("water reuse, energy audits, lean production"),
    C.CIRCULAR_ECONOMY: words("remanufacturing, product-as-a-service, upcycling"),
    C.ENERGY_EFFICIENCY: words("heat recovery, building retrofit, energy management systems"),
    C.RENEWABLE_ENERGY: words("solar pv, wind turbines, biogas"),
    C.NEW_BUSINESS_MODELS: words("platform business, servitisation, subscription models"),
    C.DESIGN_CREATIVITY: words("user experience, product design, service design"),
    C.LOGISTICS: words("cold chain logistics, warehouse automation, route optimisation"),
    C.TESTING_CERTIFICATION: words("ce marking, accredited laboratory, reliability testing"),
    C.BIOTECHNOLOGY: words("microbiome, cell cultures, bioassays"),
    C.FOOD_PROCESSING: words("food safety, shelf life extension, high pressure processing"),
    C.MATERIALS_RECYCLING: words("battery recycling, plastic sorting, metal recovery"),
    C.PROTOTYPING: words("pilot line, proof of concept, test bed"),
    C.INTERNATIONALISATION: words("export markets, market entry, trade fairs"),
    C.FINANCE_INVESTMENT: words("venture capital, investment readiness, crowdfunding"),
}

CONTACT_ROLES = (
    "Chief Executive Officer",
    "Innovation Manager",
    "Head of R&D",
    "EU Projects Officer",
    "Business Development Manager",
    "Cluster Manager",
    "Technology Transfer Officer",
)


@dataclass(frozen=True)
class StageTheme:
    name: str
    description: str
    competences: tuple[C, ...]
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class ChainTheme:
    """A value-chain initiative the demo builds: what it is about and its stages."""

    title: str
    vision: str
    target_industry: str
    ecosystems: tuple[E, ...]
    stages: tuple[StageTheme, ...]


CHAIN_THEMES: tuple[ChainTheme, ...] = (
    ChainTheme(
        "Circular bio-based packaging",
        "Turn agri-food residues into compostable packaging for regional food producers.",
        "Bio-based packaging",
        (E.AGRI_FOOD, E.ENERGY_INTENSIVE, E.RETAIL),
        (
            StageTheme(
                "Feedstock collection",
                "Collect and pre-treat agri-food residues",
                (C.LOGISTICS, C.CIRCULAR_ECONOMY),
                ("residues", "by-products"),
            ),
            StageTheme(
                "Bio-polymer compounding",
                "Ferment and compound PLA and PHA grades",
                (C.INDUSTRIAL_BIOTECHNOLOGY, C.ADVANCED_MATERIALS),
                ("pla", "pha"),
            ),
            StageTheme(
                "Packaging design",
                "Design trays, films and labels for food contact",
                (C.DESIGN_CREATIVITY, C.PROTOTYPING),
                ("food contact", "eco-design"),
            ),
            StageTheme(
                "Converting and printing",
                "Thermoforming, film blowing and printing",
                (C.ADVANCED_MANUFACTURING,),
                ("thermoforming",),
            ),
            StageTheme(
                "Retail roll-out",
                "Pilot with retailers and collect the used packaging",
                (C.NEW_BUSINESS_MODELS, C.LOGISTICS),
                ("take-back", "composting"),
            ),
        ),
    ),
    ChainTheme(
        "Green hydrogen for heavy-duty transport",
        "Produce renewable hydrogen near logistics hubs and run truck and bus fleets on it.",
        "Hydrogen mobility",
        (E.RENEWABLE_ENERGY, E.MOBILITY_TRANSPORT_AUTOMOTIVE),
        (
            StageTheme(
                "Renewable power",
                "Wind and solar supply under power purchase agreements",
                (C.RENEWABLE_ENERGY,),
                ("ppa", "wind", "solar"),
            ),
            StageTheme(
                "Electrolysis",
                "PEM electrolysers with recycled catalysts",
                (C.ADVANCED_MATERIALS, C.ENERGY_EFFICIENCY),
                ("electrolyser", "pem"),
            ),
            StageTheme(
                "Storage and distribution",
                "Compression, storage and refuelling",
                (C.LOGISTICS, C.TESTING_CERTIFICATION),
                ("refuelling station",),
            ),
            StageTheme(
                "Fuel-cell drivetrains",
                "Integrate fuel cells into trucks and buses",
                (C.ADVANCED_MANUFACTURING, C.MICRO_NANO_ELECTRONICS),
                ("fuel cell",),
            ),
            StageTheme(
                "Fleet operation",
                "Telematics and predictive maintenance of the fleet",
                (C.DATA_ANALYTICS, C.IOT),
                ("telematics", "fleet management"),
            ),
        ),
    ),
    ChainTheme(
        "Smart textiles for remote health monitoring",
        "Garments with printed sensors that let clinicians follow patients at home.",
        "Health wearables",
        (E.TEXTILES, E.HEALTH, E.ELECTRONICS),
        (
            StageTheme(
                "Conductive fibres",
                "Yarns with conductive and antibacterial coatings",
                (C.ADVANCED_MATERIALS, C.NANOTECHNOLOGY),
                ("conductive yarn",),
            ),
            StageTheme(
                "Printed sensors",
                "Stretchable ECG, temperature and motion sensors",
                (C.MICRO_NANO_ELECTRONICS, C.PHOTONICS),
                ("printed electronics", "ecg"),
            ),
            StageTheme(
                "Garment design",
                "Comfortable, washable garments for older people",
                (C.DESIGN_CREATIVITY,),
                ("textile design",),
            ),
            StageTheme(
                "Data platform",
                "Secure data platform with alerting for clinicians",
                (C.DATA_ANALYTICS, C.CYBERSECURITY, C.ICT),
                ("telemedicine", "gdpr"),
            ),
            StageTheme(
                "Clinical validation",
                "Validation studies and CE marking",
                (C.TESTING_CERTIFICATION, C.BIOTECHNOLOGY),
                ("clinical study",),
            ),
        ),
    ),
    ChainTheme(
        "Battery recycling and second-life storage",
        "Give electric-vehicle batteries a second life in grid storage, then recover their "
        "metals in Europe.",
        "Battery circular economy",
        (E.ENERGY_INTENSIVE, E.MOBILITY_TRANSPORT_AUTOMOTIVE, E.RENEWABLE_ENERGY),
        (
            StageTheme(
                "Collection and logistics",
                "Safe collection of used traction batteries",
                (C.LOGISTICS,),
                ("dangerous goods",),
            ),
            StageTheme(
                "Automated dismantling",
                "Robotic disassembly of packs and modules",
                (C.ROBOTICS, C.ARTIFICIAL_INTELLIGENCE),
                ("disassembly",),
            ),
            StageTheme(
                "Second-life packs",
                "Grade modules and build stationary storage",
                (C.ADVANCED_MANUFACTURING, C.ENERGY_EFFICIENCY),
                ("battery storage",),
            ),
            StageTheme(
                "Grid services",
                "Operate storage for balancing and self-consumption",
                (C.RENEWABLE_ENERGY, C.DATA_ANALYTICS),
                ("smart grids",),
            ),
            StageTheme(
                "Metal recovery",
                "Hydrometallurgical recovery of lithium and cobalt",
                (C.MATERIALS_RECYCLING, C.INDUSTRIAL_BIOTECHNOLOGY),
                ("lithium",),
            ),
        ),
    ),
    ChainTheme(
        "Digital twins for low-carbon construction",
        "Plan, build and renovate buildings with digital twins and low-carbon materials.",
        "Digital construction",
        (E.CONSTRUCTION, E.DIGITAL),
        (
            StageTheme(
                "Survey and scanning",
                "Laser scanning and sensor survey of buildings",
                (C.PHOTONICS, C.IOT),
                ("laser scanning",),
            ),
            StageTheme(
                "Twin platform",
                "BIM-based digital twin with energy simulation",
                (C.ICT, C.DATA_ANALYTICS),
                ("bim", "digital twin"),
            ),
            StageTheme(
                "Low-carbon materials",
                "Recycled aggregates and timber elements",
                (C.ADVANCED_MATERIALS, C.CIRCULAR_ECONOMY),
                ("low-carbon concrete",),
            ),
            StageTheme(
                "Offsite manufacturing",
                "Prefabricated modules made by robots",
                (C.ADVANCED_MANUFACTURING, C.ROBOTICS),
                ("prefabrication",),
            ),
            StageTheme(
                "Operation and renovation",
                "Monitor and retrofit buildings in use",
                (C.ENERGY_EFFICIENCY,),
                ("deep renovation",),
            ),
        ),
    ),
    ChainTheme(
        "Lightweight composites for sustainable aviation",
        "Recycled carbon-fibre parts for regional aircraft, certified and maintained in Europe.",
        "Aerospace composites",
        (E.AEROSPACE_DEFENCE, E.ENERGY_INTENSIVE),
        (
            StageTheme(
                "Recycled carbon fibre",
                "Recover fibre from production scrap",
                (C.MATERIALS_RECYCLING, C.ADVANCED_MATERIALS),
                ("recycled carbon fibre",),
            ),
            StageTheme(
                "Additive tooling",
                "3D-printed moulds and jigs",
                (C.ADDITIVE_MANUFACTURING, C.PROTOTYPING),
                ("tooling",),
            ),
            StageTheme(
                "Component production",
                "Automated lay-up of brackets and panels",
                (C.ADVANCED_MANUFACTURING,),
                ("automated fibre placement",),
            ),
            StageTheme(
                "Certification",
                "Material qualification and part certification",
                (C.TESTING_CERTIFICATION,),
                ("easa", "qualification"),
            ),
        ),
    ),
    ChainTheme(
        "Precision aquaculture and blue food",
        "Sensor-driven fish farming with feed from food by-products and a short cold chain.",
        "Sustainable aquaculture",
        (E.AGRI_FOOD, E.DIGITAL),
        (
            StageTheme(
                "Sensor buoys",
                "Water-quality buoys with low-power connectivity",
                (C.IOT, C.MICRO_NANO_ELECTRONICS),
                ("water quality",),
            ),
            StageTheme(
                "Feed from by-products",
                "Insect and algae feed from food residues",
                (C.BIOTECHNOLOGY, C.CIRCULAR_ECONOMY),
                ("insect protein", "algae"),
            ),
            StageTheme(
                "Processing",
                "Gentle processing and packaging of fish",
                (C.FOOD_PROCESSING,),
                ("seafood processing",),
            ),
            StageTheme(
                "Cold chain",
                "Temperature-tracked distribution to retailers",
                (C.LOGISTICS, C.DATA_ANALYTICS),
                ("cold chain",),
            ),
            StageTheme(
                "Market access",
                "Certification labels and export to new markets",
                (C.INTERNATIONALISATION, C.NEW_BUSINESS_MODELS),
                ("eco-label",),
            ),
        ),
    ),
    ChainTheme(
        "Photonics for food quality inspection",
        "Hyperspectral cameras and AI that sort food on the line and cut waste.",
        "Food inspection systems",
        (E.ELECTRONICS, E.AGRI_FOOD, E.DIGITAL),
        (
            StageTheme(
                "Optical sensors",
                "Hyperspectral and NIR camera modules",
                (C.PHOTONICS,),
                ("hyperspectral imaging",),
            ),
            StageTheme(
                "Machine vision software",
                "Models that detect defects and foreign bodies",
                (C.ARTIFICIAL_INTELLIGENCE, C.DATA_ANALYTICS),
                ("machine vision",),
            ),
            StageTheme(
                "Line integration",
                "Sorting machines with robotic rejection",
                (C.ROBOTICS, C.ADVANCED_MANUFACTURING),
                ("sorting machines",),
            ),
            StageTheme(
                "Pilots in food plants",
                "Trials with fruit, nut and grain processors",
                (C.FOOD_PROCESSING, C.TESTING_CERTIFICATION),
                ("food safety",),
            ),
        ),
    ),
    ChainTheme(
        "Sustainable tourism with immersive media",
        "Low-impact cultural routes with augmented-reality guides run by local operators.",
        "Smart tourism",
        (E.TOURISM, E.CULTURAL_CREATIVE, E.DIGITAL),
        (
            StageTheme(
                "Content creation",
                "Stories, 3D reconstructions and sound design",
                (C.DESIGN_CREATIVITY,),
                ("3d reconstruction", "storytelling"),
            ),
            StageTheme(
                "XR platform",
                "Augmented-reality guide app that works offline",
                (C.ICT, C.ARTIFICIAL_INTELLIGENCE),
                ("augmented reality",),
            ),
            StageTheme(
                "Booking and analytics",
                "Booking, visitor flows and carrying capacity",
                (C.DATA_ANALYTICS,),
                ("visitor analytics",),
            ),
            StageTheme(
                "Local operators",
                "Guides, hosts and transport in the villages",
                (C.NEW_BUSINESS_MODELS,),
                ("community tourism",),
            ),
            StageTheme(
                "Green certification",
                "Eco-labels for routes and accommodation",
                (C.TESTING_CERTIFICATION, C.ECO_INNOVATION),
                ("eco-label",),
            ),
        ),
    ),
    ChainTheme(
        "Circular fashion: textile-to-textile recycling",
        "Sort post-consumer textiles automatically and spin them into new yarn for European "
        "brands.",
        "Circular textiles",
        (E.TEXTILES, E.RETAIL, E.DIGITAL),
        (
            StageTheme(
                "Automated sorting",
                "NIR sorting of garments by fibre and colour",
                (C.ROBOTICS, C.ARTIFICIAL_INTELLIGENCE),
                ("nir sorting",),
            ),
            StageTheme(
                "Fibre recovery",
                "Mechanical and chemical recycling of fibres",
                (C.MATERIALS_RECYCLING,),
                ("chemical recycling",),
            ),
            StageTheme(
                "Yarn and fabric",
                "Spinning and weaving recycled blends",
                (C.ADVANCED_MATERIALS,),
                ("recycled yarn",),
            ),
            StageTheme(
                "Design for circularity",
                "Collections designed to be recycled again",
                (C.DESIGN_CREATIVITY, C.ECO_INNOVATION),
                ("mono-material",),
            ),
            StageTheme(
                "Resale and take-back",
                "Take-back schemes in shops and online resale",
                (C.NEW_BUSINESS_MODELS, C.LOGISTICS),
                ("take-back", "resale"),
            ),
            StageTheme(
                "Traceability",
                "Digital product passports for every garment",
                (C.ICT, C.DATA_ANALYTICS),
                ("digital product passport",),
            ),
        ),
    ),
)
